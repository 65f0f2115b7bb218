/**
 * @module bench/lib/peers
 * Reference caches for benchmarks and the conformance comparison, from their Debian packages:
 * nginx `proxy_cache` (one worker) and Varnish. Each runs in the foreground as a child process
 * with everything (config, cache, temp files, pid, logs) in a fresh temp folder, listening on
 * 127.0.0.1 only.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, onCleanup, startChild, waitForHttp, type Child } from './procs.js';

export interface PeerOptions {
  port: number;
  originPort: number;
}

export interface Peer {
  name: string;
  port: number;
  child: Child;
  dir: string;
  /** Stop the server and remove its temp folder. */
  stop(): Promise<void>;
}

export const NGINX_MISSING = 'nginx not found: install the Debian package (apt-get install nginx)';
export const VARNISH_MISSING = 'varnishd not found: install the Debian package (apt-get install varnish)';
export const WRK_MISSING = 'wrk not found: install the Debian package (apt-get install wrk)';

async function stopPeer(child: Child, removeDir: () => void): Promise<void> {
  await child.stop();
  removeDir();
}

/** A fresh temp folder, removed by the peer's stop() or, failing that, by stopAll(). */
function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const remove = onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  // Root starts nginx/varnishd, which drop privileges for their workers: those must reach the folder.
  chmodSync(dir, 0o755);
  return { dir, remove };
}

export interface NginxOptions extends PeerOptions {
  /**
   * 'bench': keep-alive upstream, `proxy_cache_valid 200 1h`.
   * 'conformance': the suite's own docker config (shared/research/peers.md 3.1), i.e. origin
   * freshness only, plus `proxy_cache_revalidate on`.
   */
  mode: 'bench' | 'conformance';
  /** The cache's `max_size` (default 256m; large-object rows need more). */
  maxSize?: string;
  /** `worker_processes` (default 1). */
  workers?: number;
}

export function nginxConf(dir: string, o: NginxOptions): string {
  const location =
    o.mode === 'bench'
      ? `proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache verge_bench;
      proxy_cache_valid 200 1h;
      add_header X-Cache-Status $upstream_cache_status;`
      : `proxy_pass http://127.0.0.1:${o.originPort};
      proxy_cache verge_bench;
      proxy_cache_revalidate on;`;
  return `worker_processes ${o.workers ?? 1};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy_temp;
  fastcgi_temp_path ${dir}/fastcgi_temp;
  uwsgi_temp_path ${dir}/uwsgi_temp;
  scgi_temp_path ${dir}/scgi_temp;
  proxy_cache_path ${dir}/cache levels=1:2 keys_zone=verge_bench:10m max_size=${o.maxSize ?? '256m'} inactive=60m use_temp_path=off;
  upstream origin { server 127.0.0.1:${o.originPort}; keepalive 16; }
  server {
    listen 127.0.0.1:${o.port};
    location / {
      ${location}
    }
  }
}
`;
}

/** Start nginx (`-g 'daemon off;'`) and wait until it answers. Throws NGINX_MISSING without it. */
export async function startNginx(o: NginxOptions): Promise<Peer> {
  const bin = findBinary('nginx');
  if (!bin) throw new Error(NGINX_MISSING);
  const { dir, remove } = tempDir('verge-nginx-');
  writeFileSync(join(dir, 'nginx.conf'), nginxConf(dir, o));
  // -e: the startup error log before the config is read (otherwise /var/log/nginx/error.log).
  const child = startChild('nginx', bin, [
    '-c',
    join(dir, 'nginx.conf'),
    '-p',
    dir,
    '-e',
    join(dir, 'error.log'),
    '-g',
    'daemon off;',
  ]);
  await waitForHttp(child, o.port);
  return { name: 'nginx', port: o.port, child, dir, stop: () => stopPeer(child, remove) };
}

/**
 * Start varnishd in the foreground with the flags from the suite's docker/serve.sh
 * (`default_ttl=0 default_grace=0 default_keep=3600`): without them Varnish stores responses
 * that carry no freshness and ~290 tests end as dependency failures (peers.md 3.1, gotcha 4).
 */
export async function startVarnish(o: PeerOptions): Promise<Peer> {
  const bin = findBinary('varnishd');
  if (!bin) throw new Error(VARNISH_MISSING);
  const { dir, remove } = tempDir('verge-varnish-');
  const args = [
    '-F',
    '-n',
    join(dir, 'work'),
    '-a',
    `127.0.0.1:${o.port}`,
    '-b',
    `127.0.0.1:${o.originPort}`,
    '-T',
    'none',
  ];
  args.push('-s', 'malloc,64M', '-p', 'default_ttl=0', '-p', 'default_grace=0', '-p', 'default_keep=3600');
  const child = startChild('varnishd', bin, args);
  await waitForHttp(child, o.port);
  return { name: 'varnish', port: o.port, child, dir, stop: () => stopPeer(child, remove) };
}

/** `nginx/1.22.1`, `varnish-7.1.1`, `wrk 4.1.0`: the version a binary reports, for the record. */
export function binaryVersion(name: 'nginx' | 'varnishd' | 'wrk'): string {
  const bin = findBinary(name);
  if (!bin) return `${name} (missing)`;
  const flag = name === 'nginx' ? '-v' : name === 'varnishd' ? '-V' : '-v';
  const r = spawnSync(bin, [flag], { encoding: 'utf8', timeout: 5000 });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const m = /(nginx\/[\d.]+|varnish-[\d.]+|wrk \S+)/.exec(text);
  return m ? m[1]! : name;
}

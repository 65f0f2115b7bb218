/**
 * @module cli/edge-options
 * `verge edge`'s static-mode flags as EdgeOptions, shared by the single-process edge, the
 * primary of `--workers N` (which owns the admin listener) and its workers (which own the
 * viewer listeners), so the three read the flags the same way.
 */
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EDGE_ADMIN_TOKEN_FILE, type EdgeOptions } from '../edge/edge.js';
import { UsageError, intOption, type parse } from './args.js';
import type { PortUse } from './ports.js';
import { defaultEdgeDataDir } from './edge-managed.js';

export type EdgeValues = ReturnType<typeof parse>['values'] & Record<string, string | boolean | string[] | undefined>;

/**
 * `--control URL[,URL...]`: one control replica's URL, or several separated by commas (replicas
 * of one cluster: the PoP uses one at a time and moves to the next when it is down).
 */
export function controlUrls(v: string): string[] {
  const urls = v.split(',').map((u) => u.trim());
  for (const u of urls)
    if (!/^https?:\/\/[^\s/]+/.test(u))
      throw new UsageError(
        `--control takes http(s) URLs separated by commas (e.g. http://a:8080,http://b:8080), not ${JSON.stringify(u)}`,
      );
  return urls;
}

/**
 * `--workers N`: default the number of cores this process may use. A regional edge cache runs in
 * one: its cache and its collapsing of concurrent misses are per process.
 */
export function workersOption(v: unknown, role?: unknown): number {
  if (role === 'regional') {
    if (v !== undefined && v !== '1') throw new UsageError('--role regional runs in one process: leave out --workers');
    return 1;
  }
  return intOption(typeof v === 'string' ? v : undefined, '--workers', availableParallelism(), 1, 256);
}

/** Tiered caching's options from --role, --regional and VERGE_TIER_SECRET (never a flag: argv is visible in ps). */
export function tierOptions(
  role: unknown,
  regional: unknown,
): { role?: 'regional'; regional?: string; tierSecret?: string } {
  if (role !== undefined && role !== 'regional' && role !== 'pop')
    throw new UsageError('--role must be pop or regional');
  if (role !== 'regional' && regional === undefined) return {};
  const secret = process.env.VERGE_TIER_SECRET;
  if (!secret) throw new UsageError('--role regional and --regional need VERGE_TIER_SECRET (the same on the regional and its PoPs)'); // prettier-ignore
  return {
    ...(role === 'regional' ? { role: 'regional' as const } : {}),
    ...(typeof regional === 'string' ? { regional } : {}),
    tierSecret: secret,
  };
}

export function staticEdgeOptions(values: EdgeValues): EdgeOptions & { port: number; adminPort: number } {
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const pop = str('pop') ?? 'local1';
  const port = intOption(str('port'), '--port', 8080);
  const httpsPort = str('tls-cert') ? intOption(str('https-port'), '--https-port', 8443) : undefined;
  const adminPort = intOption(str('admin-port'), '--admin-port', 9901);
  return {
    port,
    ...(str('host') ? { host: str('host')! } : {}),
    ...(str('tls-cert') ? { tls: { cert: readFileSync(str('tls-cert')!), key: readFileSync(str('tls-key')!) } } : {}),
    ...(httpsPort !== undefined ? { httpsPort } : {}),
    popId: pop,
    region: str('region') ?? 'local',
    adminPort,
    // Static mode has no data dir by default; the token still needs a home only its owner reads.
    adminTokenFile: str('admin-token-file') ?? join(str('data-dir') ?? defaultEdgeDataDir(pop), EDGE_ADMIN_TOKEN_FILE),
    ...(str('data-dir') ? { dataDir: str('data-dir')! } : {}),
    ...(str('geo-db') ? { geoDb: str('geo-db')! } : {}),
    ...(str('geo-overrides') ? { geoOverrides: str('geo-overrides')! } : {}),
    accessLog: str('access-log') ?? 'stdout',
    cacheMaxBytes: intOption(str('cache-size'), '--cache-size', 256, 1, 1 << 20) * 1024 * 1024,
    ...cacheLimits(str),
    bodyBudgetBytes: intOption(str('body-budget'), '--body-budget', 256, 1, 1 << 20) * 1024 * 1024,
    serverTiming: values['server-timing'] === true,
    ...tierOptions(values.role, values.regional),
  };
}

/** --cache-disk-size and --cache-max-object, in bytes, when given. */
export function cacheLimits(str: (k: string) => string | undefined): {
  cacheDiskBytes?: number;
  cacheMaxObjectBytes?: number;
} {
  const MiB = 1024 * 1024;
  const disk = str('cache-disk-size');
  const object = str('cache-max-object');
  return {
    ...(disk !== undefined ? { cacheDiskBytes: intOption(disk, '--cache-disk-size', 1024, 1, 1 << 30) * MiB } : {}),
    ...(object !== undefined
      ? { cacheMaxObjectBytes: intOption(object, '--cache-max-object', 20_480, 1, 1 << 30) * MiB }
      : {}),
  };
}

/** The edge's listeners and their flags (the admin listener is always on 127.0.0.1). */
export function edgePorts(port: number, httpsPort: number | undefined, adminPort: number, host: string): PortUse[] {
  return [
    { port, flag: '--port N', what: 'viewers', host },
    ...(httpsPort !== undefined ? [{ port: httpsPort, flag: '--https-port N', what: 'HTTPS viewers', host }] : []),
    { port: adminPort, flag: '--admin-port N', what: 'admin', host: '127.0.0.1' },
  ];
}

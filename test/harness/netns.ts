/**
 * @module test/harness/netns
 * Separate hosts on one machine for cluster scenarios: Linux network namespaces the test makes
 * (`ip netns add`), each joined by a veth pair to a bridge the test makes in the root namespace,
 * with addresses in 10.231.N.0/24. Nothing is routed or NATed: traffic stays between the test's
 * namespaces and the root namespace's end of the bridge (where the test process runs its
 * clients and origin). A host is partitioned by taking its veth down. Names carry this
 * process's id, so runs never collide, and namespaces left by a killed run are removed by the
 * next. `destroy()` kills every process started in a namespace and deletes every namespace and
 * the bridge; it also runs when this process exits.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { createServer, connect, type Server } from 'node:net';
import { createWriteStream } from 'node:fs';
import { reapOnExit } from './reap.js';

const PREFIX = 'vgt';

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
function quietly(...args: string[]): void {
  try {
    ip(...args);
  } catch {
    // already gone
  }
}

/** False when this machine lets the test make a namespace, else why not. */
export function missingNetns(): string | false {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  const name = `${PREFIX}${process.pid}probe`;
  try {
    ip('netns', 'add', name);
    ip('netns', 'del', name);
    return false;
  } catch (e) {
    return `cannot make a network namespace (ip netns add: ${(e as Error).message.split('\n')[0]}); run as root with iproute2 (Debian package "iproute2")`;
  }
}

/** Namespaces and bridges of runs whose process is gone. */
function sweep(): void {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (const line of ip('netns', 'list').split('\n')) {
    const m = new RegExp(`^(${PREFIX}(\\d+)-\\S+)`).exec(line);
    if (m && !alive(Number(m[2]))) quietly('netns', 'del', m[1]!);
  }
  for (const line of ip('-o', 'link', 'show', 'type', 'bridge').split('\n')) {
    const m = new RegExp(`^\\d+: (${PREFIX}b(\\d+))[:@]`).exec(line);
    if (m && !alive(Number(m[2]))) quietly('link', 'del', m[1]!);
  }
}

export interface Host {
  name: string;
  ns: string;
  /** The host's address on the bridge. */
  ip: string;
  /** The veth end in the root namespace (down = partitioned). */
  veth: string;
}

export class Net {
  readonly bridge: string;
  /** The root namespace's address on the bridge: the test process's clients and servers. */
  readonly gateway: string;
  readonly hosts: Host[] = [];
  readonly #subnet: string;
  readonly #children = new Set<ChildProcess>();
  readonly #output = new Map<string, string>();
  readonly #servers: Server[] = [];
  #destroyed = false;

  private constructor(subnet: string) {
    this.#subnet = subnet;
    this.bridge = `${PREFIX}b${process.pid}`;
    this.gateway = `${subnet}.1`;
  }

  static create(): Net {
    sweep();
    const used = ip('-4', '-o', 'addr');
    let subnet = '';
    do subnet = `10.231.${randomInt(1, 255)}`;
    while (used.includes(` ${subnet}.`));
    const net = new Net(subnet);
    process.once('exit', () => net.#removeAll());
    ip('link', 'add', net.bridge, 'type', 'bridge');
    ip('addr', 'add', `${net.gateway}/24`, 'dev', net.bridge);
    ip('link', 'set', net.bridge, 'up');
    return net;
  }

  host(name: string): Host {
    const i = this.hosts.length + 1;
    const h: Host = {
      name,
      ns: `${PREFIX}${process.pid}-${name}`,
      ip: `${this.#subnet}.${10 + i}`,
      veth: `${PREFIX}v${process.pid % 100000}x${i}`,
    };
    this.hosts.push(h);
    ip('netns', 'add', h.ns);
    ip('link', 'add', h.veth, 'type', 'veth', 'peer', 'name', `${h.veth}p`);
    ip('link', 'set', `${h.veth}p`, 'netns', h.ns);
    ip('netns', 'exec', h.ns, 'ip', 'link', 'set', `${h.veth}p`, 'name', 'eth0');
    ip('netns', 'exec', h.ns, 'ip', 'addr', 'add', `${h.ip}/24`, 'dev', 'eth0');
    ip('netns', 'exec', h.ns, 'ip', 'link', 'set', 'eth0', 'up');
    ip('netns', 'exec', h.ns, 'ip', 'link', 'set', 'lo', 'up');
    ip('link', 'set', h.veth, 'master', this.bridge);
    ip('link', 'set', h.veth, 'up');
    return h;
  }

  /** The last few KB a host's processes wrote (stdout and stderr), to explain a failure. */
  output(h: Host): string {
    return this.#output.get(h.name) ?? '';
  }

  /** Cut the host off the bridge, or join it again. */
  partition(h: Host, cut: boolean): void {
    ip('link', 'set', h.veth, cut ? 'down' : 'up');
  }

  /** Runs `command args` inside the host's namespace, in its own process group (reaped with this process). */
  spawn(h: Host, command: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', h.ns, command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: { ...process.env, ...env },
    });
    reapOnExit(child);
    // VERGE_NETNS_LOGS=DIR keeps each host's output in DIR/<host>.log (for a failing run).
    if (process.env.VERGE_NETNS_LOGS) {
      const log = createWriteStream(`${process.env.VERGE_NETNS_LOGS}/${h.name}.log`);
      child.stdout!.pipe(log);
      child.stderr!.pipe(log);
    }
    // The last lines each host wrote, for a failing test to show (see output()).
    const keep = (d: Buffer) =>
      this.#output.set(h.name, ((this.#output.get(h.name) ?? '') + d.toString()).slice(-8_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    return child;
  }

  /**
   * A TCP port on the gateway that leads to `port` on the root namespace's loopback (how hosts
   * reach the machine's PostgreSQL, which listens on 127.0.0.1 only).
   */
  async forward(port: number): Promise<number> {
    const server = createServer((inbound) => {
      const out = connect(port, '127.0.0.1');
      inbound.pipe(out).pipe(inbound);
      const end = () => (inbound.destroy(), out.destroy());
      inbound.on('error', end);
      out.on('error', end);
    });
    await new Promise<void>((r) => server.listen(0, this.gateway, r));
    this.#servers.push(server);
    return (server.address() as { port: number }).port;
  }

  async destroy(): Promise<void> {
    const exits = [...this.#children].map((c) => new Promise((r) => c.once('exit', r)));
    for (const c of this.#children) {
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 5000))]);
    for (const s of this.#servers) s.close();
    this.#removeAll();
  }

  #removeAll(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const h of this.hosts) {
      quietly('link', 'del', h.veth);
      quietly('netns', 'del', h.ns);
    }
    quietly('link', 'del', this.bridge);
  }
}

/** Resolves with the first match of `re` in the child's output (stdout and stderr), or rejects when it exits first. */
export function awaitOutput(
  child: ChildProcess,
  re: RegExp,
  what: string,
  timeoutMs = 60_000,
): Promise<RegExpExecArray> {
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start in ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out = (out + d.toString()).slice(-20_000);
      const m = re.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code ?? sig}) before it was ready:\n${out}`));
    });
  });
}

export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Poll `fn` until it returns a value (not undefined) and return it; a throw counts as not yet and
 * the last one is named if `timeoutMs` passes. Hosts in namespaces answer slower than loopback, so
 * the probes here may fail for a while before they hold.
 */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 100,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end)
      throw new Error(`${what} did not happen in ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await pause(everyMs);
  }
}

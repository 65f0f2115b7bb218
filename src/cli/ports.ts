/**
 * @module cli/ports
 * Taken ports as one line that names the flag to change, instead of Node's EADDRINUSE stack
 * trace: `explainListen` turns a listen error of a known port into a PortError, and
 * `ensurePortsFree` checks ports before `verge up` hands them to child processes (a child's
 * failure would only show as a PoP that never becomes healthy).
 */
import { createServer } from 'node:net';

/** A port a command wants, and the flag that changes it. */
export interface PortUse {
  port: number;
  flag: string;
  /** What listens there, for the message ("PoP us-east-1's admin listener"). */
  what?: string;
  host?: string;
}

/** A port the command cannot listen on; main prints the message alone (exit code 1). */
export class PortError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PortError';
  }
}

function describe(u: PortUse, code: string | undefined): PortError {
  const where = `${u.host ?? '127.0.0.1'}:${u.port}`;
  const why = code === 'EACCES' ? 'is not allowed for this user (ports below 1024 need root)' : 'is already in use';
  return new PortError(
    `port ${u.port}${u.what ? ` (${u.what})` : ''} ${why} on ${where}; choose another with ${u.flag}`,
  );
}

/** A listen error as a PortError naming the flag of the port it failed on; other errors unchanged. */
export function explainListen(e: unknown, uses: readonly PortUse[]): unknown {
  const err = e as NodeJS.ErrnoException & { port?: number };
  if (err?.code !== 'EADDRINUSE' && err?.code !== 'EACCES') return e;
  const u = uses.find((x) => x.port === err.port);
  return u ? describe(u, err.code) : e;
}

/** Runs `start`, turning a failed listen on one of `uses` into a PortError. */
export async function listening<T>(uses: readonly PortUse[], start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (e) {
    throw explainListen(e, uses);
  }
}

function probe(u: PortUse): Promise<string | null> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'EADDRINUSE'));
    s.listen(u.port, u.host ?? '127.0.0.1', () => s.close(() => resolve(null)));
  });
}

/** Throws a PortError for the first port of `uses` that cannot be listened on now (port 0 is skipped). */
export async function ensurePortsFree(uses: readonly PortUse[]): Promise<void> {
  const seen = new Map<number, PortUse>();
  for (const u of uses) {
    if (u.port === 0) continue;
    const twice = seen.get(u.port);
    if (twice)
      throw new PortError(
        `port ${u.port} is given twice (${twice.flag}${twice.what ? `, ${twice.what}` : ''} and ${u.flag}${u.what ? `, ${u.what}` : ''}); choose another with ${u.flag}`,
      );
    seen.set(u.port, u);
    const code = await probe(u);
    if (code) throw describe(u, code);
  }
}

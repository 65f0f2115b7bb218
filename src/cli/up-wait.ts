/**
 * @module cli/up-wait
 * `verge up`'s readiness checks: the admin token the control plane wrote on its first start,
 * every PoP answering its admin `/healthz`, and a distribution reaching `Deployed` (every PoP
 * acknowledged its latest snapshot). Each wait is bounded and says what it was waiting for.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VergeError } from '../shared/errors.js';
import type { Api } from './up-seed.js';

export function readAdminToken(dataDir: string): string {
  const file = join(dataDir, 'admin-token');
  if (!existsSync(file)) {
    throw new VergeError(
      'CONFIG_UNREADABLE',
      `${file} is missing: the control plane writes the admin token there on its first start only. ` +
        `Restore the file, or start afresh with another --data-dir (or remove ${dataDir}).`,
    );
  }
  return readFileSync(file, 'utf8').trim();
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every edge's admin `/healthz` answers 200 (or `stop` is aborted: nobody waits any more). */
export async function waitForEdges(
  adminPorts: readonly number[],
  timeoutMs: number,
  stop?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(adminPorts);
  while (pending.size > 0 && !stop?.aborted) {
    for (const port of [...pending]) {
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) }).then(
        (r) => (void r.body?.cancel(), r.ok),
        () => false,
      );
      if (ok) pending.delete(port);
    }
    if (pending.size === 0) return;
    if (Date.now() > deadline)
      throw new Error(
        `edges on admin ports ${[...pending].join(', ')} did not start in ${timeoutMs / 1000} s (see the data dir's logs/)`,
      );
    await pause(100);
  }
}

/** The distribution's status is `Deployed` (every registered PoP has its latest change). */
export async function waitForDeployed(api: Api, id: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: { status?: string; pending?: string[] } = {};
  while (Date.now() < deadline) {
    last = await api<{ status: string; pending: string[] }>('GET', `/distributions/${encodeURIComponent(id)}`).catch(
      () => ({}),
    );
    if (last.status === 'Deployed') return;
    await pause(100);
  }
  throw new Error(
    `distribution ${id} not Deployed after ${timeoutMs / 1000} s (pending: ${(last.pending ?? []).join(', ') || '?'})`,
  );
}

/**
 * @module client/watch
 * Watching a deployment reach every PoP: `watchDeployment` polls the deployment's acks, the
 * PoPs and (optionally) a distribution's `pending` list, and yields a progress report each time
 * something changes, until every PoP has applied the snapshot (docs/api.md: a distribution is
 * `Deployed` once every registered PoP acknowledged the snapshot carrying its latest change).
 * Polling keeps it to the documented routes; the interval is a short fixed delay.
 */
import type { Deployment, Distribution, Pop } from './types.js';
import type { VergeClient } from './client.js';

export type PopState = 'applied' | 'waiting' | 'failed';

export interface PopProgress {
  id: string;
  region: string;
  health: Pop['health'];
  /** The snapshot the PoP serves now. */
  appliedVersion: number;
  state: PopState;
  error?: string;
}

export interface DeploymentProgress {
  /** The snapshot being watched. */
  version: number;
  reason: string;
  pops: PopProgress[];
  /** Set when watching a distribution. */
  distribution?: { id: string; status: Distribution['status']; pending: string[] };
  /** Every PoP applied it (and the distribution, if any, is Deployed). */
  done: boolean;
  /** Some PoP refused the snapshot. */
  failed: boolean;
  /**
   * When done: from the change (the snapshot's creation) to the last PoP's acknowledgement, in ms,
   * as the control plane recorded them (not the time this watcher ran).
   */
  elapsedMs?: number;
}

export interface WatchOptions {
  /** Default: the newest deployment. */
  version?: number;
  distributionId?: string;
  intervalMs?: number;
  signal?: AbortSignal;
}

/** The progress of `dep` over `pops`: pure, so it is tested without a server. */
export function progressOf(dep: Deployment, pops: Pop[], dist?: Distribution): DeploymentProgress {
  const out: PopProgress[] = pops.map((p) => {
    const ack = dep.acks[p.id];
    const base = { id: p.id, region: p.region, health: p.health, appliedVersion: p.appliedVersion };
    // Watching one distribution: only its own state at each PoP counts (another one refused in
    // the same snapshot does not hold it back).
    const mine = dist?.pops?.[p.id];
    if (mine && mine.generation !== null) {
      if (mine.status === 'Refused') return { ...base, state: 'failed', ...(mine.error ? { error: mine.error } : {}) };
      return { ...base, state: mine.status === 'Deployed' ? 'applied' : 'waiting' };
    }
    if (ack && !ack.ok) return { ...base, state: 'failed', ...(ack.error ? { error: ack.error } : {}) };
    const pending = dist?.pending.includes(p.id) ?? false;
    const applied = !pending && ((ack?.ok ?? false) || p.appliedVersion >= dep.version);
    return { ...base, state: applied ? 'applied' : 'waiting' };
  });
  const failed = out.some((p) => p.state === 'failed');
  const allApplied = out.every((p) => p.state === 'applied');
  const done = allApplied && (dist ? dist.status === 'Deployed' : true);
  const progress: DeploymentProgress = { version: dep.version, reason: dep.reason, pops: out, done, failed };
  if (dist) progress.distribution = { id: dist.id, status: dist.status, pending: dist.pending };
  if (done) {
    const times = pops.map((p) => {
      const mine = dist?.pops?.[p.id];
      const at = mine?.generation !== null && mine?.at ? mine.at : dep.acks[p.id]?.at;
      return typeof at === 'number' ? at : at ? Date.parse(at) : NaN;
    });
    const created = Date.parse(dep.createdAt);
    if (times.length > 0 && times.every((t) => Number.isFinite(t)) && Number.isFinite(created))
      progress.elapsedMs = Math.max(0, Math.max(...times) - created);
  }
  return progress;
}

const delay = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

/**
 * Yields progress whenever it changes, and a last time when done or failed.
 * @example for await (const p of watchDeployment(client, { signal: AbortSignal.timeout(60_000) })) render(p);
 */
export async function* watchDeployment(client: VergeClient, o: WatchOptions = {}): AsyncGenerator<DeploymentProgress> {
  let last = '';
  while (!o.signal?.aborted) {
    const dist = o.distributionId ? await client.distributions.get(o.distributionId) : undefined;
    // A distribution's own latest change unless a version is named: that is what it waits for.
    const version = o.version ?? (dist && dist.generation > 0 ? dist.generation : undefined);
    const dep = version !== undefined ? await client.deployments.get(version) : (await client.deployments.list())[0];
    if (!dep) return;
    const pops = await client.pops.list();
    const p = progressOf(dep, pops, dist);
    const key = JSON.stringify(p);
    if (key !== last) {
      last = key;
      yield p;
    }
    if (p.done || p.failed) return;
    await delay(o.intervalMs ?? 150, o.signal);
  }
}

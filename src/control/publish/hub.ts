/**
 * @module control/publish/hub
 * The live side of replication and log tailing: the open server-sent event streams. Edges hold
 * a `watch` stream each (snapshot and invalidation events, `ping` every 15 s so proxies and the
 * edge can tell a dead connection from a quiet one); `GET /logs/tail` clients hold a stream that
 * receives matching log records as batches arrive. The hub only writes: what to send is decided
 * by the routes, from the store. A change reaches it twice on a cluster (from the route that
 * made it, and from the outbox follower, follow.ts, which also brings other replicas' changes),
 * so it sends each snapshot number and invalidation id once.
 */
import type { ServerResponse } from 'node:http';
import type { LogRecord, WatchInvalidationEvent, WatchSnapshotEvent } from '../../shared/replication/protocol.js';
import type { LogFilter } from '../store/types.js';
import { writeEvent } from '../api/http.js';

export const PING_INTERVAL_MS = 15_000;
/** How many invalidation ids the hub remembers to send each once (far more than arrive between two reads). */
const SENT_KEPT = 10_000;

interface Watcher {
  pop: string;
  res: ServerResponse;
}

interface Tailer {
  filter: Omit<LogFilter, 'limit' | 'afterId'>;
  res: ServerResponse;
}

export class Hub {
  readonly #watchers = new Set<Watcher>();
  readonly #tailers = new Set<Tailer>();
  readonly #timer: NodeJS.Timeout;
  #closed = false;
  /** The newest snapshot announced: an older or equal one is old news to every watcher. */
  #announced = 0;
  /** Invalidation ids announced lately (insertion-ordered, bounded). */
  readonly #sent = new Set<string>();

  /** Called once for each new snapshot or invalidation (the NATS relay wakes on it). */
  onAnnounce: (() => void) | undefined;

  constructor(opts: { pingIntervalMs?: number; onPing?: (pops: string[]) => void } = {}) {
    this.#timer = setInterval(() => {
      const pops: string[] = [];
      for (const w of this.#watchers) if (writeEvent(w.res, 'ping', {})) pops.push(w.pop);
      for (const t of this.#tailers) writeEvent(t.res, 'ping', {});
      opts.onPing?.(pops);
    }, opts.pingIntervalMs ?? PING_INTERVAL_MS);
    this.#timer.unref();
  }

  /** Keep `res` as `pop`'s watch stream until it closes; `onClose` runs then. */
  addWatcher(pop: string, res: ServerResponse, onClose: () => void): void {
    const w = { pop, res };
    this.#watchers.add(w);
    res.on('close', () => {
      this.#watchers.delete(w);
      // After close() the store may be gone: nothing to record then.
      if (!this.#closed) onClose();
    });
  }

  /** End `pop`'s watch streams (it was removed); returns how many there were. */
  dropWatchers(pop: string): number {
    let n = 0;
    for (const w of this.#watchers) {
      if (w.pop !== pop) continue;
      this.#watchers.delete(w);
      w.res.end();
      n++;
    }
    return n;
  }

  /** PoPs with an open watch stream right now. */
  connectedPops(): Set<string> {
    return new Set([...this.#watchers].map((w) => w.pop));
  }

  snapshot(ev: WatchSnapshotEvent): void {
    if (ev.version <= this.#announced) return;
    this.#announced = ev.version;
    this.onAnnounce?.();
    for (const w of this.#watchers) writeEvent(w.res, 'snapshot', ev);
  }

  invalidation(ev: WatchInvalidationEvent): void {
    if (this.#sent.has(ev.id)) return;
    this.#sent.add(ev.id);
    if (this.#sent.size > SENT_KEPT) this.#sent.delete(this.#sent.values().next().value!);
    this.onAnnounce?.();
    for (const w of this.#watchers) writeEvent(w.res, 'invalidation', { id: ev.id, distributionId: ev.distributionId, paths: ev.paths, tags: ev.tags }); // prettier-ignore
  }

  addTailer(filter: Tailer['filter'], res: ServerResponse): void {
    const t = { filter, res };
    this.#tailers.add(t);
    res.on('close', () => this.#tailers.delete(t));
  }

  get tailing(): boolean {
    return this.#tailers.size > 0;
  }

  logs(records: readonly LogRecord[]): void {
    for (const t of this.#tailers) for (const r of records) if (logMatches(t.filter, r)) writeEvent(t.res, 'log', r);
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    for (const w of this.#watchers) w.res.end();
    for (const t of this.#tailers) t.res.end();
    this.#watchers.clear();
    this.#tailers.clear();
  }
}

/** The same filter the store applies to `GET /logs`, in memory for live records. */
export function logMatches(f: Omit<LogFilter, 'limit' | 'afterId'>, r: LogRecord): boolean {
  return (
    (f.function === undefined || r.functionName === f.function) &&
    (f.version === undefined || r.functionVersion === f.version) &&
    (f.distribution === undefined || r.distributionId === f.distribution) &&
    (f.pop === undefined || r.pop === f.pop) &&
    (f.status === undefined || r.status === f.status) &&
    (f.requestId === undefined || r.requestId === f.requestId) &&
    (f.type === undefined || r.type === f.type) &&
    (f.since === undefined || r.time >= f.since) &&
    (f.until === undefined || r.time <= f.until)
  );
}

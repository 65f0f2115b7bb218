/**
 * @module edge/workers/leases
 * Request collapsing across workers, on the primary's side. The first worker to ask for a cache
 * key's fetch lease leads: it fetches from the origin and writes the shared disk tier. Once the
 * leader's object has a body file (`growing`), the workers waiting for the key, and every worker
 * that asks while the lease is held, follow it: they are told where the file is and then how far
 * it is written (`grown`, relayed as `progress`) until it ends (`end`: complete, or cut off), so
 * their viewers read the object while it is written. A lease with no file to follow (a small
 * object kept in memory, an answer that is not cacheable, an error) is waited for: its waiters
 * are told when the leader releases it and look the key up again. A leader that dies cuts its
 * followers off and lets its waiters go; the next miss leads. An invalidation withdraws the
 * matching objects' leases (`withdraw`): followers already reading keep reading, the next miss
 * leads a new fetch. Pure bookkeeping: every method returns the messages to send.
 *
 * ProgressOutbox keeps the relay's memory bounded: at most one `progress` message per worker is
 * in the channel; values that arrive meanwhile replace each other and go out together next.
 */
import { compileInvalidation, type EntryMatcher } from '../cache/invalidate.js';
import type { GrowingObject, ProgressMessage, StreamEnd, ToWorker, WireEntry } from './protocol.js';

export interface Waiter {
  worker: number;
  id: number;
}

/** A message for one worker. */
export interface Out {
  worker: number;
  msg: ToWorker;
}

/** Progress for one follower worker (ProgressOutbox sends it). */
export interface Progress {
  worker: number;
  stream: number;
  written: number;
}

interface Stream {
  n: number;
  object: GrowingObject;
  written: number;
  /** Workers reading it. */
  followers: Set<number>;
}

interface Lease {
  holder: number;
  /** The holder's lease id: a release names it, so a late release cannot free a newer lease. */
  id: number;
  waiters: Waiter[];
  stream: Stream | null;
}

export class LeaseTable {
  readonly #held = new Map<string, Lease>();
  /** Announced objects by `leader:lease id`; they outlive a withdrawn lease until they end. */
  readonly #streams = new Map<string, Stream>();
  #next = 0;

  /** `worker` asks to fetch `key`: it leads, follows the object being written, or (no answer yet) waits. */
  lease(worker: number, id: number, key: string): Out[] {
    const h = this.#held.get(key);
    if (h === undefined) {
      this.#held.set(key, { holder: worker, id, waiters: [], stream: null });
      return [{ worker, msg: { verge: 'granted', id, leader: true } }];
    }
    if (h.stream !== null) return [this.#follow(h.stream, { worker, id })];
    h.waiters.push({ worker, id });
    return [];
  }

  /** The leader's object has a body file: its waiters follow it, and so will later askers. */
  growing(worker: number, id: number, key: string, object: GrowingObject, written: number): Out[] {
    const h = this.#held.get(key);
    if (h === undefined || h.holder !== worker || h.id !== id || h.stream !== null) return [];
    const s: Stream = { n: ++this.#next, object, written, followers: new Set() };
    h.stream = s;
    this.#streams.set(`${worker}:${id}`, s);
    const out = h.waiters.map((w) => this.#follow(s, w));
    h.waiters = [];
    return out;
  }

  /** The leader's file grew: the progress each follower worker is to hear. */
  grown(worker: number, id: number, written: number): Progress[] {
    const s = this.#streams.get(`${worker}:${id}`);
    if (s === undefined || written <= s.written) return [];
    s.written = written;
    return [...s.followers].map((f) => ({ worker: f, stream: s.n, written }));
  }

  /** The leader is done: wake its waiters; end its object for the followers (cut off without `end`). */
  release(worker: number, id: number, key: string, end?: StreamEnd): Out[] {
    const out: Out[] = [];
    const h = this.#held.get(key);
    if (h !== undefined && h.holder === worker && h.id === id) {
      this.#held.delete(key);
      out.push(...wake(h.waiters));
    }
    const sk = `${worker}:${id}`;
    const s = this.#streams.get(sk);
    if (s !== undefined) {
      this.#streams.delete(sk);
      out.push(...ends(s, end ?? { ok: false, written: s.written }));
    }
    return out;
  }

  /** The body files of the objects `worker` announced and has not released: its writes in progress. */
  writing(worker: number): string[] {
    const files: string[] = [];
    for (const [sk, s] of this.#streams) if (sk.startsWith(`${worker}:`)) files.push(s.object.path);
    return files;
  }

  /** `worker` exited: its leases go (waiters woken), its objects are cut off, its own waits and reads dropped. */
  gone(worker: number): Out[] {
    const out: Out[] = [];
    for (const s of this.#streams.values()) s.followers.delete(worker);
    for (const [sk, s] of this.#streams) {
      if (!sk.startsWith(`${worker}:`)) continue;
      this.#streams.delete(sk);
      out.push(...ends(s, { ok: false, written: s.written }));
    }
    for (const [key, h] of this.#held) {
      h.waiters = h.waiters.filter((w) => w.worker !== worker);
      if (h.holder === worker) {
        this.#held.delete(key);
        out.push(...wake(h.waiters));
      }
    }
    return out;
  }

  /**
   * An invalidation: leases whose object it matches are dropped, so the next miss leads a new
   * fetch instead of following the old object (its followers keep reading it to its end).
   */
  withdraw(match: (e: WireEntry) => boolean): Out[] {
    const out: Out[] = [];
    for (const [key, h] of this.#held) {
      if (h.stream === null || !match(h.stream.object.entry)) continue;
      this.#held.delete(key);
      out.push(...wake(h.waiters));
    }
    return out;
  }

  #follow(s: Stream, w: Waiter): Out {
    s.followers.add(w.worker);
    return { worker: w.worker, msg: { verge: 'follow', id: w.id, stream: s.n, object: s.object, written: s.written } };
  }

  /** Keys leased now. */
  get size(): number {
    return this.#held.size;
  }

  /** Objects being followed (or announced) now. */
  get streams(): number {
    return this.#streams.size;
  }
}

/**
 * The objects an invalidation covers, from the admin body (`paths`, `tags`, optional
 * `distributionId`: without it every distribution) or a managed purge request; a body the
 * workers will refuse covers nothing.
 */
export function invalidationMatch(body: unknown): (e: WireEntry) => boolean {
  const b = (body ?? {}) as { distributionId?: unknown; paths?: unknown; tags?: unknown };
  const byDist = new Map<string, EntryMatcher | null>();
  return (e) => {
    if (b.distributionId !== undefined && b.distributionId !== e.distributionId) return false;
    let m = byDist.get(e.distributionId);
    if (m === undefined) {
      try {
        const req = { distributionId: e.distributionId, paths: b.paths ?? [], tags: b.tags ?? [] };
        m = compileInvalidation(req as Parameters<typeof compileInvalidation>[0]);
      } catch {
        m = null;
      }
      byDist.set(e.distributionId, m);
    }
    return m !== null && m(e);
  };
}

function wake(waiters: Waiter[]): Out[] {
  return waiters.map((w) => ({ worker: w.worker, msg: { verge: 'granted', id: w.id, leader: false } }));
}

function ends(s: Stream, end: StreamEnd): Out[] {
  return [...s.followers].map((worker) => ({ worker, msg: { verge: 'end', stream: s.n, end } }));
}

/**
 * `progress` messages with at most one in the channel per worker: while one is on its way, later
 * values are kept (the latest per object) and go out together when it has been sent, so a worker
 * that reads slowly never has a growing queue of stale progress waiting for it.
 */
export class ProgressOutbox {
  /** Send `msg`, calling `sent` once it left; false when the worker cannot be sent to. */
  readonly #send: (worker: number, msg: ProgressMessage, sent: () => void) => boolean;
  readonly #busy = new Set<number>();
  readonly #queued = new Map<number, Map<number, number>>();

  constructor(send: (worker: number, msg: ProgressMessage, sent: () => void) => boolean) {
    this.#send = send;
  }

  post(p: Progress): void {
    if (!this.#busy.has(p.worker)) return this.#emit(p.worker, [[p.stream, p.written]]);
    let q = this.#queued.get(p.worker);
    if (q === undefined) this.#queued.set(p.worker, (q = new Map()));
    q.set(p.stream, p.written);
  }

  /** An object ended: progress still queued for it is moot (its `end` carries the length). */
  drop(stream: number): void {
    for (const q of this.#queued.values()) q.delete(stream);
  }

  /** A worker exited. */
  gone(worker: number): void {
    this.#busy.delete(worker);
    this.#queued.delete(worker);
  }

  /** Values waiting for the channel (tests: it never exceeds the objects followed). */
  queued(worker: number): number {
    return this.#queued.get(worker)?.size ?? 0;
  }

  #emit(worker: number, grown: Array<[number, number]>): void {
    this.#busy.add(worker);
    if (!this.#send(worker, { verge: 'progress', grown }, () => this.#sent(worker))) this.#busy.delete(worker);
  }

  #sent(worker: number): void {
    this.#busy.delete(worker);
    const q = this.#queued.get(worker);
    if (q === undefined || q.size === 0) return;
    this.#queued.delete(worker);
    this.#emit(worker, [...q]);
  }
}

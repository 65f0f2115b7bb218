/**
 * @module edge/workers/following
 * Reading another worker's object while it is written, on a worker's side (see leases.ts for the
 * primary's). The leader's half, `announce`: once the object's body file exists it sends the
 * object (entry, file, announced length), then how far the file is written, one message at a
 * time with only the latest value queued, so a busy channel never piles up progress. The
 * follower's half, `Followed`: a GrowingBody over the file opened read-only
 * (FileChunks.attach), moved on by `progress` (advance), finished or failed by `end`; viewers
 * read it as they read a busy object of their own, Range included. A follower never stores
 * the object: once it is whole, the leader's meta file on the shared disk is what later
 * lookups find; an object cut off (its leader failed or died) fails its readers, so their
 * viewers see a cut connection, never a short body served as complete.
 */
import { VergeError } from '../../shared/errors.js';
import { FileChunks, GrowingBody, type StreamBody } from '../body/index.js';
import type { CacheEntry } from '../cache/types.js';
import type { FollowMessage, GrowingObject, StreamEnd, ToPrimary, WireEntry } from './protocol.js';

/** A cache entry for the channel (the body stays behind; JSON has no Infinity). */
export function entryToWire(e: CacheEntry): WireEntry {
  const { body: _body, staleIfErrorMs, ...rest } = e;
  return { ...rest, staleIfErrorMs: Number.isFinite(staleIfErrorMs) ? staleIfErrorMs : null };
}

export function entryFromWire(w: WireEntry, body: GrowingBody): CacheEntry {
  return { ...w, staleIfErrorMs: w.staleIfErrorMs ?? Infinity, body };
}

/** Sends to the primary, calling `sent` once the message left (process.send's callback). */
export type Send = (m: ToPrimary, sent?: () => void) => void;

/**
 * Leader: tell the primary about `body` (a disk-tier busy object) once its file exists, then
 * about its growth. Returns the way to stop (the lease's release carries the end).
 */
export function announce(send: Send, id: number, key: string, entry: CacheEntry, body: GrowingBody): () => void {
  let announced = false;
  let inFlight = false;
  let stopped = false;
  let sent = 0;
  // Followers elsewhere are readers this body cannot see: a claim stands for them, so a fill the
  // store let go of (invalidated, over the limit) is not stopped when this worker's viewers leave.
  let keep: StreamBody | null = null;
  const tick = (): void => {
    if (body.windowed) {
      // A stream-through now (the store let it go): its file stops growing, so followers cannot
      // read on (the lease's early release ends them: fleet-coalescer), and this claim must not
      // hold the window.
      stopped = true;
      keep?.discard();
      keep = null;
      return;
    }
    const written = body.written;
    // The file is created by the first write; an ended body is closed by the release.
    if (stopped || body.state !== 'writing' || written === 0 || inFlight) return;
    if (!announced) {
      announced = true;
      keep = body.handle();
      const object: GrowingObject = { entry: entryToWire(entry), path: body.file!, length: body.length };
      sent = written;
      send({ verge: 'growing', id, key, object, written });
      return;
    }
    if (written === sent) return;
    inFlight = true;
    sent = written;
    send({ verge: 'grown', id, written }, () => {
      inFlight = false;
      tick();
    });
  };
  const unwatch = body.watch(tick);
  tick();
  return () => {
    stopped = true;
    unwatch();
    keep?.discard();
    keep = null;
  };
}

interface Follow {
  body: GrowingBody;
  /** Holds the body (and its descriptor) open until its end and its opening are both past. */
  keeper: StreamBody;
  opened: Promise<boolean>;
  ended: boolean;
}

/** Follower: the objects this worker reads from other workers, by the primary's stream number. */
export class Followed {
  readonly #streams = new Map<number, Follow>();

  /** Objects followed now (tests and leak checks). */
  get size(): number {
    return this.#streams.size;
  }

  /**
   * The followed object as an entry whose body grows with the leader's file; null when its file
   * could not be opened (gone already): the viewers then look the key up again.
   */
  async open(m: FollowMessage): Promise<CacheEntry | null> {
    let f = this.#streams.get(m.stream);
    if (f === undefined) {
      const chunks = FileChunks.attach(m.object.path);
      // The follower's copy is never removed by it: the file is the leader's.
      const body = new GrowingBody(chunks, m.object.length);
      const created: Follow = {
        body,
        keeper: body.handle(),
        opened: chunks.ready().then(
          () => true,
          () => false,
        ),
        ended: false,
      };
      f = created;
      this.#streams.set(m.stream, f);
      void f.opened.then((ok) => {
        if (!ok) this.end(m.stream, { ok: false, written: body.written });
      });
    }
    f.body.advance(m.written);
    const ok = await f.opened;
    return ok ? entryFromWire(m.object.entry, f.body) : null;
  }

  progress(grown: Array<[number, number]>): void {
    for (const [n, written] of grown) this.#streams.get(n)?.body.advance(written);
  }

  end(n: number, end: StreamEnd): void {
    const f = this.#streams.get(n);
    if (f === undefined || f.ended) return;
    f.ended = true;
    this.#streams.delete(n);
    const b = f.body;
    b.advance(end.written);
    const expected = b.length;
    if (end.ok && (expected === null || expected === end.written)) b.finish();
    else
      b.fail(
        new VergeError(
          'EDGE_WORKER_UNAVAILABLE',
          `the worker fetching this object stopped after ${end.written} bytes; it was not completed`,
        ),
      );
    // Viewers handed this body in the turn its opening resolved have claimed it by now.
    void f.opened.then(() => setImmediate(() => f.keeper.discard()));
  }

  /** This worker is stopping: objects still followed are cut off. */
  close(): void {
    for (const [n, f] of [...this.#streams]) this.end(n, { ok: false, written: f.body.written });
  }
}

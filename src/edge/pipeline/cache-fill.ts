/**
 * @module edge/pipeline/cache-fill
 * Filling the cache from an origin body that is still arriving (issue 12): the origin's stream
 * is piped into the store's object writer at the origin's pace, and every viewer of the fetch
 * (the one that started it, collapsed ones, later hits, a Range) reads the busy object from the
 * store at its own pace. So the fetch never waits for a viewer: a slow viewer reads behind from
 * the store (a file on the disk tier), one that leaves just closes its reader, and the memory a
 * fill holds is the stream's window, not the object. An origin that fails mid-body aborts the
 * write: nothing is kept and the readers still reading get the error (their viewers a cut
 * connection). A fill the store let go of (invalidated, or outgrowing what it may keep) stops
 * pulling from the origin once nobody reads it. Fills are tracked so shutdown can stop them.
 */
import { pipeline } from 'node:stream';
import type { Logger } from '../../shared/log.js';
import { NoReadersError, sinkWritable, type ByteSink, type StreamBody } from '../body/index.js';
import type { ObjectWriter } from '../cache/types.js';

/** The fills in flight on one edge. */
export class CacheFills {
  readonly #active = new Set<(why: Error) => void>();

  /** Fills in flight (tests and leak checks). */
  get size(): number {
    return this.#active.size;
  }

  /** Pipe `source` into `writer`; resolves when the fill ended, whether the object was kept or not. */
  start(source: StreamBody, writer: ObjectWriter, logger: Logger, key: string): Promise<void> {
    const src = source.open();
    const sink = sinkWritable(stopWhenUnread(writer));
    const stop = (why: Error): void => void src.destroy(why);
    this.#active.add(stop);
    return new Promise<void>((resolve) => {
      pipeline(src, sink, (err) => {
        this.#active.delete(stop);
        if (err && !(err instanceof NoReadersError))
          logger.log('info', 'cache fill failed; nothing stored', { key, error: String(err.message ?? err) });
        resolve();
      });
    });
  }

  /** Stop every fill (the edge is closing): their objects are not kept. */
  stopAll(why = 'the edge is closing'): void {
    for (const stop of [...this.#active]) stop(new Error(why));
  }
}

/**
 * The writer, refusing further bytes once the store has let go of the object and no viewer is
 * reading it: nobody would ever see them, so the origin transfer stops.
 */
function stopWhenUnread(w: ObjectWriter): ByteSink {
  return {
    write(chunk) {
      if (w.detached !== null && w.body.users === 0) return Promise.reject(new NoReadersError());
      return w.write(chunk);
    },
    end: () => w.end(),
    abort: (e) => w.abort(e),
  };
}

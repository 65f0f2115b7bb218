/**
 * @module edge/sync/nats-watch
 * A PoP's watch through NATS JetStream instead of the control plane's SSE stream (`verge edge
 * --nats URL`, DESIGN 4). One session per NATS connection, with the SSE watch's contract, so
 * ManagedSync runs either the same way (register, fetch bodies and bundles over HTTP by number
 * and hash, acknowledge per distribution over HTTP):
 *
 *   KV VERGE_SNAPSHOTS `latest` ──watch──▶ `snapshot` {version, checksum}: the current value first,
 *                                          then every update (an older or equal one is ignored)
 *   stream VERGE_INVALIDATIONS ──ordered consumer from the last sequence handled + 1──▶ `invalidation`
 *
 * Resume from what I have: the stream sequence of the last invalidation handled is kept in
 * `<dataDir>/nats-cursor.json`, so a PoP that lost NATS (or restarted) replays what it missed
 * within the stream's replay window. A PoP with no cursor starts at the stream's end (its cache
 * holds nothing older). When the cursor is older than the window, or the stream was recreated,
 * some invalidations are gone: the PoP empties every distribution's cache (`resync`) rather
 * than serve what may have been invalidated.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DeliverPolicy } from 'nats';
import { VergeError, toVergeError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { INVALIDATION_STREAM, KV_LATEST } from '../../shared/bus/messages.js';
import { connectNats, redactNatsUrl, snapshotsKv } from '../../shared/bus/nats.js';
import type { SseEvent } from './sse.js';

export const CURSOR_FILE = 'nats-cursor.json';

/** What ManagedSync watches: the control plane's SSE stream or NATS. */
export interface WatchSource {
  watch(
    after: number,
    onEvent: (ev: SseEvent) => void,
    opts: { signal: AbortSignal; idleMs?: number; onOpen?: () => void },
  ): Promise<void>;
}

export class NatsWatch implements WatchSource {
  readonly #url: string;
  readonly #pop: string;
  readonly #file: string;
  readonly #logger: Logger;
  #cursor: number | null | undefined;

  constructor(o: { url: string; pop: string; dataDir: string; logger: Logger }) {
    this.#url = o.url;
    this.#pop = o.pop;
    this.#file = join(o.dataDir, CURSOR_FILE);
    this.#logger = o.logger;
  }

  /** The stream sequence of the last invalidation handled (null: none yet). */
  async cursor(): Promise<number | null> {
    if (this.#cursor === undefined) {
      try {
        const c = JSON.parse(await readFile(this.#file, 'utf8')) as { seq?: unknown };
        this.#cursor = Number.isInteger(c.seq) ? (c.seq as number) : null;
      } catch {
        this.#cursor = null;
      }
    }
    return this.#cursor;
  }

  async #save(seq: number): Promise<void> {
    this.#cursor = seq;
    const tmp = `${this.#file}.tmp`;
    await writeFile(tmp, JSON.stringify({ seq }));
    await rename(tmp, this.#file);
  }

  async watch(
    _after: number,
    onEvent: (ev: SseEvent) => void,
    opts: { signal: AbortSignal; onOpen?: () => void },
  ): Promise<void> {
    if (opts.signal.aborted) return;
    const nc = await connectNats(this.#url, `verge-edge-${this.#pop}`);
    // Stopped before the connection closes: a live consumer would keep checking its heartbeats.
    const iterators: Array<{ stop(): void }> = [];
    const close = () => {
      for (const it of iterators) it.stop();
      void nc.close().catch(() => undefined);
    };
    opts.signal.addEventListener('abort', close, { once: true });
    try {
      const js = nc.jetstream({ timeout: 5000 });
      const kv = await snapshotsKv(js, false);
      const state = (await (await nc.jetstreamManager()).streams.info(INVALIDATION_STREAM)).state;
      let cursor = await this.cursor();
      if (cursor === null) {
        cursor = state.last_seq;
        await this.#save(cursor);
      } else if (cursor > state.last_seq || cursor + 1 < state.first_seq) {
        this.#logger.log('warn', 'invalidations older than the NATS replay window were missed; emptying the cache', {
          cursor,
          first: state.first_seq,
          last: state.last_seq,
        });
        onEvent({ event: 'resync', data: '{}' });
        cursor = state.first_seq - 1;
        await this.#save(cursor);
      }
      const consumer = await js.consumers.get(INVALIDATION_STREAM, {
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: cursor + 1,
      });
      const messages = await consumer.consume();
      iterators.push(messages);
      const pointers = await kv.watch({ key: KV_LATEST });
      iterators.push(pointers);
      opts.onOpen?.();
      const snapshots = (async () => {
        for await (const e of pointers) if (e.operation === 'PUT') onEvent({ event: 'snapshot', data: e.string() });
      })();
      const invalidations = (async () => {
        for await (const m of messages) {
          onEvent({ event: 'invalidation', data: m.string() });
          await this.#save(m.seq);
        }
      })();
      await Promise.race([nc.closed(), snapshots, invalidations]);
    } catch (e) {
      if (opts.signal.aborted) return;
      const err = toVergeError(e);
      throw err.code === 'BUS_UNAVAILABLE'
        ? err
        : new VergeError('BUS_UNAVAILABLE', `NATS at ${redactNatsUrl(this.#url)}: ${err.message}`, { cause: e });
    } finally {
      opts.signal.removeEventListener('abort', close);
      for (const it of iterators) it.stop();
      await nc.close().catch(() => undefined);
    }
    if (!opts.signal.aborted)
      throw new VergeError('BUS_UNAVAILABLE', `the NATS connection to ${redactNatsUrl(this.#url)} was lost`);
  }
}

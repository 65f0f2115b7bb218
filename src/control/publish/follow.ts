/**
 * @module control/publish/follow
 * Cross-replica fan-out without a message bus (DESIGN 4, "Beyond one machine"): each control
 * replica reads the store's outbox after the last row it saw and tells its own watchers (the
 * hub) of every snapshot and invalidation, whichever replica made it. PostgreSQL wakes it with
 * NOTIFY, sent when the change commits, so a PoP watching replica B hears of a change made on
 * replica A within milliseconds; a slower poll covers a lost LISTEN connection. On SQLite (one
 * instance) nothing wakes it and it does not poll: the routes tell the hub themselves.
 */
import type { Logger } from '../../shared/log.js';
import type { Store } from '../store/types.js';
import type { Hub } from './hub.js';

/** How often to read the outbox without a wake-up (PostgreSQL only). */
export const FOLLOW_POLL_MS = 2_000;
const PAGE = 500;

export class OutboxFollower {
  readonly #store: Store;
  readonly #hub: Hub;
  readonly #logger: Logger;
  #seen = 0;
  #reading: Promise<void> | null = null;
  #again = false;
  #stopListening: (() => Promise<void>) | null = null;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(store: Store, hub: Hub, logger: Logger) {
    this.#store = store;
    this.#hub = hub;
    this.#logger = logger;
  }

  /** Starts after the newest row: what came before, a watcher gets when it connects. */
  static async start(store: Store, hub: Hub, logger: Logger, pollMs = FOLLOW_POLL_MS): Promise<OutboxFollower> {
    const f = new OutboxFollower(store, hub, logger);
    f.#seen = await store.outbox.lastSeq();
    if (store.kind === 'postgres') {
      f.#stopListening = await store.onOutbox(() => f.wake());
      f.#timer = setInterval(() => f.wake(), pollMs);
      f.#timer.unref();
    }
    return f;
  }

  /** Read what is new now (again after the current read, when one is running). */
  wake(): void {
    if (this.#closed) return;
    if (this.#reading) {
      this.#again = true;
      return;
    }
    this.#reading = this.#read()
      .catch((e: Error) => this.#logger.log('warn', 'outbox not read; retrying', { error: e.message }))
      .finally(() => {
        this.#reading = null;
        if (this.#again) {
          this.#again = false;
          this.wake();
        }
      });
  }

  async #read(): Promise<void> {
    for (;;) {
      const rows = await this.#store.outbox.after(this.#seen, PAGE);
      for (const r of rows) {
        const e = r.event;
        if (e.kind === 'snapshot') this.#hub.snapshot({ version: e.version, checksum: e.checksum });
        else this.#hub.invalidation({ id: e.id, distributionId: e.distributionId, paths: e.paths, tags: e.tags });
        this.#seen = r.seq;
      }
      if (rows.length < PAGE || this.#closed) return;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#stopListening?.();
    await this.#reading;
  }
}

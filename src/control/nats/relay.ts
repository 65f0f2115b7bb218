/**
 * @module control/nats/relay
 * The outbox relay (DESIGN 4, "Beyond one machine"): every control replica started with
 * `--nats URL` runs one. It publishes outbox rows to NATS JetStream in seq order, one replica at a
 * time (the store's relay lock), each message with `Nats-Msg-Id: verge-<seq>-<part>` so a batch
 * published again after a relay died before marking it is stored once:
 *
 *   snapshot row      ─▶ KV VERGE_SNAPSHOTS  `dist.<id>` for each distribution it changed, then `latest`
 *   invalidation row  ─▶ stream VERGE_INVALIDATIONS  `verge.invalidations.<distribution>`
 *
 * Only pointers and invalidations ride the bus; PoPs fetch snapshot bodies and bundles over HTTP.
 * NATS away: the rows wait in the outbox (the change itself is committed and served over SSE),
 * the relay reconnects every second and drains them in order when NATS answers.
 */
import type { JetStreamClient, NatsConnection } from 'nats';
import { ensureInvalidationStream, connectNats, redactNatsUrl, snapshotsKv } from '../../shared/bus/nats.js';
import {
  DEFAULT_REPLAY_WINDOW_MS,
  INVALIDATION_SUBJECT,
  KV_BUCKET,
  KV_LATEST,
  distKey,
  type DistPointer,
} from '../../shared/bus/messages.js';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import type { OutboxRecord, Store } from '../store/types.js';

/** How often to look at the outbox without a wake-up, and to retry NATS when it is away. */
export const RELAY_POLL_MS = 1_000;
const BATCH = 100;

export interface RelayOptions {
  store: Store;
  url: string;
  clock: Clock;
  logger: Logger;
  /** How long invalidations stay in the stream for PoPs that were away (default 24 h). */
  replayWindowMs?: number;
  pollMs?: number;
}

const enc = new TextEncoder();

/** Publishes `rows` in order and waits for JetStream to store each one. */
export async function publishRows(js: JetStreamClient, rows: readonly OutboxRecord[]): Promise<void> {
  for (const r of rows) {
    const e = r.event;
    if (e.kind === 'snapshot') {
      for (const [id, generation] of Object.entries(e.generations)) {
        if (generation !== e.version) continue;
        const p: DistPointer = { generation, version: e.version, checksum: e.checksum };
        await js.publish(`$KV.${KV_BUCKET}.${distKey(id)}`, enc.encode(JSON.stringify(p)), {
          msgID: `verge-${r.seq}-${id}`,
        });
      }
      await js.publish(
        `$KV.${KV_BUCKET}.${KV_LATEST}`,
        enc.encode(JSON.stringify({ version: e.version, checksum: e.checksum })),
        { msgID: `verge-${r.seq}-latest` },
      );
    } else {
      const ev = { id: e.id, distributionId: e.distributionId, paths: e.paths, tags: e.tags };
      await js.publish(`${INVALIDATION_SUBJECT}.${e.distributionId}`, enc.encode(JSON.stringify(ev)), {
        msgID: `verge-${r.seq}`,
      });
    }
  }
}

export class NatsRelay {
  readonly #o: RelayOptions;
  #nc: NatsConnection | null = null;
  #js: JetStreamClient | null = null;
  #running: Promise<void> | null = null;
  #again = false;
  #closed = false;
  #timer: NodeJS.Timeout;
  #stopListening: (() => Promise<void>) | null = null;
  #lastError: string | null = null;
  /** Rows this relay published (for status and tests). */
  relayed = 0;

  private constructor(o: RelayOptions) {
    this.#o = o;
    this.#timer = setInterval(() => this.wake(), o.pollMs ?? RELAY_POLL_MS);
    this.#timer.unref();
  }

  /** Starts relaying; NATS need not answer yet (the relay keeps trying). */
  static async start(o: RelayOptions): Promise<NatsRelay> {
    const r = new NatsRelay(o);
    // Other replicas' commits wake this one too: whichever takes the lock first relays.
    r.#stopListening = await o.store.onOutbox(() => r.wake());
    r.wake();
    return r;
  }

  get connected(): boolean {
    return this.#nc !== null && !this.#nc.isClosed();
  }

  /** Relay what is waiting now (again after the current pass, when one is running). */
  wake(): void {
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#pass().finally(() => {
      this.#running = null;
      if (this.#again) {
        this.#again = false;
        this.wake();
      }
    });
  }

  async #pass(): Promise<void> {
    try {
      const js = await this.#connection();
      while (!this.#closed) {
        const n = await this.#o.store.relayOutbox((rows) => publishRows(js, rows), BATCH, this.#o.clock.now());
        this.relayed += n;
        if (n < BATCH) break;
      }
      if (this.#lastError !== null) this.#o.logger.log('info', 'NATS relay working again', { url: this.#redacted });
      this.#lastError = null;
    } catch (e) {
      const msg = (e as Error).message;
      if (msg !== this.#lastError)
        this.#o.logger.log('warn', 'NATS relay: outbox rows wait until NATS answers', { url: this.#redacted, error: msg }); // prettier-ignore
      this.#lastError = msg;
      await this.#drop();
    }
  }

  get #redacted(): string {
    return redactNatsUrl(this.#o.url);
  }

  async #connection(): Promise<JetStreamClient> {
    if (this.#nc && !this.#nc.isClosed() && this.#js) return this.#js;
    await this.#drop();
    const nc = await connectNats(this.#o.url, 'verge-control-relay');
    try {
      const js = nc.jetstream({ timeout: 5000 });
      await snapshotsKv(js, true);
      await ensureInvalidationStream(nc, this.#o.replayWindowMs ?? DEFAULT_REPLAY_WINDOW_MS);
      this.#nc = nc;
      this.#js = js;
      return js;
    } catch (e) {
      await nc.close().catch(() => undefined);
      throw e;
    }
  }

  async #drop(): Promise<void> {
    const nc = this.#nc;
    this.#nc = null;
    this.#js = null;
    await nc?.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#stopListening?.();
    await this.#running;
    await this.#drop();
  }
}

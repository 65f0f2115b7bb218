/**
 * @module shared/bus/nats
 * The NATS JetStream side of the bus (messages.ts), for both the control plane's relay and an
 * edge's watch: connecting with a clear error, and making sure the KV bucket and the
 * invalidation stream exist with Verge's settings (idempotent; the relay does it on each
 * connection, so a NATS server that lost its state is set up again). Connections do not
 * reconnect on their own: the caller runs one session per connection and starts a new one
 * after a pause, so "connection lost" is one code path.
 */
import { connect, type JetStreamClient, type KV, type NatsConnection, nanos } from 'nats';
import { VergeError } from '../errors.js';
import { INVALIDATION_STREAM, INVALIDATION_SUBJECT, KV_BUCKET } from './messages.js';

/** The URL without credentials, for messages. */
export function redactNatsUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

export async function connectNats(url: string, name: string): Promise<NatsConnection> {
  try {
    return await connect({ servers: url, name, reconnect: false, timeout: 2000, pingInterval: 5000, maxPingOut: 2 });
  } catch (e) {
    throw new VergeError(
      'BUS_UNAVAILABLE',
      `NATS does not answer at ${redactNatsUrl(url)} (${(e as Error).message}); start nats-server -js there or correct --nats`,
      { cause: e },
    );
  }
}

/** The KV bucket of snapshot pointers; created when missing (the relay) or only bound (an edge). */
export async function snapshotsKv(js: JetStreamClient, create: boolean): Promise<KV> {
  return js.views.kv(KV_BUCKET, create ? { history: 1 } : { bindOnly: true });
}

/** Creates the invalidation stream, or sets its replay window when it exists. */
export async function ensureInvalidationStream(nc: NatsConnection, replayWindowMs: number): Promise<void> {
  const jsm = await nc.jetstreamManager();
  const config = {
    name: INVALIDATION_STREAM,
    subjects: [`${INVALIDATION_SUBJECT}.>`],
    max_age: nanos(replayWindowMs),
    // Longer than a relay takes to notice it died mid-batch and publish the batch again.
    duplicate_window: nanos(Math.min(replayWindowMs, 10 * 60_000)),
  };
  try {
    const info = await jsm.streams.info(INVALIDATION_STREAM);
    if (info.config.max_age !== config.max_age) await jsm.streams.update(INVALIDATION_STREAM, config);
  } catch (e) {
    if (!/stream not found/i.test((e as Error).message)) throw e;
    await jsm.streams.add(config);
  }
}

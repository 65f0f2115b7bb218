/**
 * @module control/control
 * `startControl`: the whole control plane in-process. Opens (or creates) the store (SQLite in
 * `<dataDir>/verge.db`, or the PostgreSQL database `--store` names), the telemetry sink beside it,
 * the secret key and, on first start, the admin token; builds the route
 * table; listens; prunes logs and metrics past their retention; and closes everything cleanly
 * (open watch and tail streams included, so a restart can take the same port at once).
 */
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OpenApiSchema } from '../shared/api/answers.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { silentLogger, type Logger } from '../shared/log.js';
import { createApp, type App } from './app.js';
import type { Route, RouteTable } from './api/route.js';
import { deploymentRoutes } from './api/routes/deployments.js';
import { distributionRoutes } from './api/routes/distributions.js';
import { edgeRoutes } from './api/routes/edge.js';
import { functionRoutes } from './api/routes/functions.js';
import { invalidationRoutes } from './api/routes/invalidations.js';
import { kvsRoutes } from './api/routes/kvs.js';
import { keyGroupRoutes } from './api/routes/key-groups.js';
import { stagingRoutes } from './api/routes/staging.js';
import { systemRoutes } from './api/routes/system.js';
import { telemetryRoutes } from './api/routes/telemetry.js';
import { tokenRoutes } from './api/routes/tokens.js';
import { triggerRoutes } from './api/routes/triggers.js';
import { API_PREFIX, createApiServer } from './api/server.js';
import { SECRET_KEY_FILE, loadOrCreateKey, secretBox, type SecretBox } from './auth/secret-box.js';
import { openSnapshot } from './compile/snapshot.js';
import { VergeError } from '../shared/errors.js';
import type { Store } from './store/types.js';
import { ensureAdminToken } from './auth/tokens.js';
import { CanaryWatch } from './domain/canary-triggers.js';
import { NatsRelay } from './nats/relay.js';
import { OutboxFollower } from './publish/follow.js';
import { Hub, PING_INTERVAL_MS } from './publish/hub.js';
import { openStore, openTelemetrySink } from './store/open.js';
import { TelemetryWriter } from './telemetry/writer.js';

export const DB_FILE = 'verge.db';
export const DEFAULT_LOG_RETENTION_MS = 7 * 24 * 3_600_000;
const PRUNE_EVERY_MS = 10 * 60_000;

/** Where `vite build` puts the console (console/vite.config.ts), from this file's place in the package. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../console/dist', import.meta.url));

export interface ControlOptions {
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  dataDir: string;
  clock?: Clock;
  logger?: Logger;
  /** How long log records and metric points are kept (default 7 days). */
  logRetentionMs?: number;
  /** The built web console, served at `/` (default: the package's `console/dist`, built by `npm run build:console`). */
  consoleDir?: string;
  /** Watch-stream keepalive (default 15 s); tests shorten it. */
  pingIntervalMs?: number;
  /** How often canary triggers are stepped and judged (default 1 s). */
  canaryTickMs?: number;
  /**
   * Where the store is: `postgres://…` (several control replicas can share it; DESIGN 4), or a
   * SQLite file (default `<dataDir>/verge.db`).
   */
  store?: string;
  /**
   * Where logs and metric points go: a SQLite file or `postgres://…` (default: beside the store,
   * `<dataDir>/verge-telemetry.db` or the store's PostgreSQL database on a pool of its own).
   */
  telemetryStore?: string;
  /**
   * A NATS server with JetStream (`nats://host:4222`): this replica relays the outbox there (KV
   * pointers, invalidation stream) for PoPs started with `verge edge --nats` (DESIGN 4).
   */
  nats?: string;
  /** How long the invalidation stream keeps messages for PoPs that were away (default 24 h). */
  natsReplayWindowMs?: number;
}

export interface Control {
  /** `http://host:port` (no trailing slash); the API is under `/api/v1`. */
  url: string;
  /** The admin token, only when this start created it (the first start on this dataDir). */
  adminToken?: string;
  app: App;
  /** The outbox relay to NATS, when `nats` was given. */
  relay?: NatsRelay;
  /** Steps canaries and rolls back the worse ones; `tick()` runs one pass now. */
  canaries: CanaryWatch;
  /** Delete log records and metric points past retention now; returns how many went. */
  prune(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Replicas on one database must share the key that seals secrets: open the latest snapshot (it
 * carries every attached function's sealed secrets) and say which file to copy when it fails.
 */
async function checkSecretKey(store: Store, box: SecretBox, dataDir: string): Promise<void> {
  const latest = await store.snapshots.latestVersion();
  if (latest === 0) return;
  try {
    await openSnapshot(store, box, latest);
  } catch (e) {
    throw new VergeError(
      'STORE_UNAVAILABLE',
      `the store's secrets were sealed with another key than ${join(dataDir, SECRET_KEY_FILE)}: copy secret.key from the data directory of the replica that first used this store`,
      { cause: e },
    );
  }
}

/**
 * Every route of the API, declared once; the server registers them and @fastify/swagger
 * describes them. `document` answers GET /openapi.json (the server's, once it is built).
 */
export function buildRouter(app: App, document: () => unknown = () => ({})): RouteTable {
  const routes: Route[] = [
    ...systemRoutes(app),
    ...tokenRoutes(app),
    ...functionRoutes(app),
    ...distributionRoutes(app),
    ...stagingRoutes(app),
    ...triggerRoutes(app),
    ...invalidationRoutes(app),
    ...kvsRoutes(app),
    ...keyGroupRoutes(app),
    ...deploymentRoutes(app),
    ...edgeRoutes(app),
    ...telemetryRoutes(app),
    {
      method: 'GET',
      path: '/openapi.json',
      access: 'public',
      summary: 'This OpenAPI 3.1 document',
      success: { status: 200, schema: OpenApiSchema },
      handler: () => ({ status: 200, body: document() }),
    },
  ];
  return { routes };
}

export async function startControl(opts: ControlOptions): Promise<Control> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? silentLogger;
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const where = opts.store ?? join(opts.dataDir, DB_FILE);
  const store = await openStore(where, clock.now());
  const box = secretBox(loadOrCreateKey(opts.dataDir));
  let adminToken: string | undefined;
  let telemetry: TelemetryWriter;
  try {
    await checkSecretKey(store, box, opts.dataDir);
    adminToken = await ensureAdminToken(store, clock, opts.dataDir);
    telemetry = new TelemetryWriter(
      await openTelemetrySink({ store: where, ...(opts.telemetryStore ? { where: opts.telemetryStore } : {}) }),
    );
  } catch (e) {
    await store.close();
    throw e;
  }
  const hub = new Hub({
    pingIntervalMs: opts.pingIntervalMs ?? PING_INTERVAL_MS,
    onPing: (pops) => {
      for (const p of pops) {
        store.pops
          .touch(p, clock.now())
          .catch((e: Error) => logger.log('warn', 'PoP ping not recorded', { pop: p, error: e.message }));
      }
    },
  });
  // Other replicas' changes reach this one's watchers through the outbox (PostgreSQL).
  const follower = await OutboxFollower.start(store, hub, logger);
  const relay = opts.nats
    ? await NatsRelay.start({
        store,
        url: opts.nats,
        clock,
        logger,
        ...(opts.natsReplayWindowMs !== undefined ? { replayWindowMs: opts.natsReplayWindowMs } : {}),
      })
    : undefined;
  if (relay) hub.onAnnounce = () => relay.wake();
  const app = createApp({ store, telemetry, clock, logger, box, hub, dataDir: opts.dataDir });
  let api: Awaited<ReturnType<typeof createApiServer>> | undefined;
  const table = buildRouter(app, () => api?.document());
  const canaries = new CanaryWatch(app, opts.canaryTickMs);
  const retention = opts.logRetentionMs ?? DEFAULT_LOG_RETENTION_MS;
  // The outbox keeps a row as long as telemetry: far past any relay or replica catching up.
  const prune = async () =>
    (await telemetry.prune(clock.now() - retention)) + (await store.outbox.prune(clock.now() - retention));
  const pruneLogged = async () => {
    try {
      const n = await prune();
      if (n > 0) logger.log('info', 'telemetry pruned', { removed: n });
    } catch (e) {
      logger.log('error', 'telemetry prune failed', { error: (e as Error).message });
    }
  };
  await pruneLogged();
  const pruner = setInterval(() => void pruneLogged(), PRUNE_EVERY_MS);
  pruner.unref();
  try {
    api = await createApiServer(app, table, { consoleDir: opts.consoleDir ?? DEFAULT_CONSOLE_DIR });
    await api.fastify.listen({ port: opts.port ?? 8080, host: opts.host ?? '127.0.0.1' });
  } catch (e) {
    await api?.fastify.close();
    clearInterval(pruner);
    canaries.close();
    hub.close();
    await relay?.close();
    await follower.close();
    await telemetry.close();
    await store.close();
    throw e;
  }
  const server = api.fastify;
  const addr = server.server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  logger.log('info', 'control plane listening', { url, api: url + API_PREFIX, dataDir: opts.dataDir });
  let closed: Promise<void> | undefined;
  return {
    url,
    ...(adminToken !== undefined ? { adminToken } : {}),
    app,
    ...(relay ? { relay } : {}),
    canaries,
    prune,
    close() {
      closed ??= (async () => {
        clearInterval(pruner);
        canaries.close();
        await relay?.close();
        await follower.close();
        hub.close();
        await server.close();
        await app.gate.close();
        await telemetry.close();
        await store.close();
      })();
      return closed;
    },
  };
}

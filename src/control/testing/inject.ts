/**
 * @module control/testing/inject
 * The control API without a socket: a store in a temporary folder, the app, and the Fastify
 * server built from the route table, answered through `fastify.inject()`. For tests and checks
 * that need the HTTP layer (status, headers, error bodies, the OpenAPI document) but no network.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../shared/clock.js';
import { silentLogger, type Logger } from '../../shared/log.js';
import { createApp, type App } from '../app.js';
import { createApiServer, type ApiServer } from '../api/server.js';
import type { RouteTable } from '../api/route.js';
import { loadOrCreateKey, secretBox } from '../auth/secret-box.js';
import { ensureAdminToken } from '../auth/tokens.js';
import { buildRouter } from '../control.js';
import { Hub } from '../publish/hub.js';
import { openStore, openTelemetrySink } from '../store/open.js';
import { TelemetryWriter } from '../telemetry/writer.js';

export interface InjectedApi {
  api: ApiServer;
  app: App;
  table: RouteTable;
  adminToken: string;
  close(): Promise<void>;
}

export async function injectedApi(
  opts: { consoleDir?: string; logger?: Logger; table?: (app: App, doc: () => unknown) => RouteTable } = {},
): Promise<InjectedApi> {
  const dir = mkdtempSync(join(tmpdir(), 'verge-inject-'));
  const store = await openStore(join(dir, 'verge.db'), systemClock.now());
  const telemetry = new TelemetryWriter(await openTelemetrySink({ store: join(dir, 'verge.db') }));
  const hub = new Hub();
  const logger = opts.logger ?? silentLogger;
  const app = createApp({
    store,
    telemetry,
    clock: systemClock,
    logger,
    box: secretBox(loadOrCreateKey(dir)),
    hub,
    dataDir: dir,
  });
  const adminToken = (await ensureAdminToken(store, systemClock, dir))!;
  // The table's GET /openapi.json answers the document of the server built from it.
  const built: { api?: ApiServer } = {};
  const table = (opts.table ?? buildRouter)(app, () => built.api?.document());
  const api = (built.api = await createApiServer(app, table, opts.consoleDir ? { consoleDir: opts.consoleDir } : {}));
  return {
    api,
    app,
    table,
    adminToken,
    async close() {
      await api.fastify.close();
      hub.close();
      await app.gate.close();
      await telemetry.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

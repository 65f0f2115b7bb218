/**
 * @module cli/control-command
 * `verge control`: the control plane alone (REST API, replication server, log and metric
 * collector, and the console when built). Prints the URL and where the admin token is
 * (<data-dir>/admin-token, mode 0600), never the token. SIGINT/SIGTERM stop it cleanly.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createLogger, print } from '../shared/log.js';
import { ADMIN_TOKEN_FILE, startControl } from '../control/index.js';
import { intOption, parse } from './args.js';
import { parseDuration } from '../control/api/routes/telemetry.js';
import { UsageError } from './args.js';
import { listening } from './ports.js';
import { redactUrl } from '../control/store/open.js';
import { redactNatsUrl } from '../shared/bus/nats.js';

export const CONTROL_HELP = `verge control [options]

Runs the control plane: the REST API under /api/v1 (OpenAPI at /api/v1/openapi.json), the
replication server edges watch, the log and metric collector, and the web console at /.

  --port N              port (default 8080)
  --host ADDR           address to listen on (default 127.0.0.1)
  --data-dir DIR        state: SQLite database, secret key, admin token (default .verge)
  --store URL           keep the store in PostgreSQL instead (postgres://user@host:5432/db): several
                        control replicas share one database; give each the same secret.key (docs/operations.md)
  --telemetry-store URL where logs and metrics go: a SQLite file or postgres://… (default: beside the
                        store, <data-dir>/verge-telemetry.db or the store's database on a pool of its own)
  --nats URL            also publish changes to NATS JetStream (nats://host:4222, with -js): snapshot
                        pointers in a KV bucket, invalidations in a stream, for PoPs started with
                        verge edge --nats (every replica relays; one at a time; docs/operations.md)
  --nats-replay D       how long the invalidation stream keeps messages for PoPs that were away
                        (default 24h)
  --log-retention D     keep logs and metrics this long: 7d (default), 12h, 90m
  --console-dir DIR     the built web console to serve at / (default console/dist when present)
  --log-level L         debug | info (default) | warn | error
`;

export async function controlCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    'data-dir': { type: 'string' },
    store: { type: 'string' },
    'telemetry-store': { type: 'string' },
    nats: { type: 'string' },
    'nats-replay': { type: 'string' },
    'log-retention': { type: 'string' },
    'console-dir': { type: 'string' },
    'log-level': { type: 'string' },
    help: { type: 'boolean' },
  });
  if (values.help) return print(CONTROL_HELP);
  const level = values['log-level'] ?? 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(level))
    throw new UsageError('--log-level must be debug, info, warn or error');
  let retention: number | undefined;
  try {
    retention =
      values['log-retention'] === undefined ? undefined : parseDuration(values['log-retention'], 'log-retention', 0);
  } catch {
    throw new UsageError('--log-retention must be a duration such as 7d, 12h or 90m');
  }
  let replay: number | undefined;
  try {
    replay = values['nats-replay'] === undefined ? undefined : parseDuration(values['nats-replay'], 'nats-replay', 1);
  } catch {
    throw new UsageError('--nats-replay must be a duration such as 24h, 30m or 7d');
  }
  if (values.nats !== undefined && !/^(nats|tls):\/\/[^\s]+$/.test(values.nats))
    throw new UsageError('--nats must be a URL such as nats://127.0.0.1:4222');
  const dataDir = resolve(values['data-dir'] ?? '.verge');
  const consoleDir = values['console-dir'] ?? (existsSync('console/dist/index.html') ? 'console/dist' : undefined);
  const port = intOption(values.port, '--port', 8080);
  const host = values.host ?? '127.0.0.1';
  const control = await listening([{ port, flag: '--port N', host }], () =>
    startControl({
      port,
      host,
      dataDir,
      ...(values.store !== undefined ? { store: values.store } : {}),
      ...(values['telemetry-store'] !== undefined ? { telemetryStore: values['telemetry-store'] } : {}),
      ...(values.nats !== undefined ? { nats: values.nats } : {}),
      ...(replay !== undefined ? { natsReplayWindowMs: replay } : {}),
      logger: createLogger({ level: level as 'info' }),
      ...(retention !== undefined ? { logRetentionMs: retention } : {}),
      ...(consoleDir ? { consoleDir: resolve(consoleDir) } : {}),
    }),
  );
  print(`control plane  ${control.url}  (API ${control.url}/api/v1, OpenAPI ${control.url}/api/v1/openapi.json)`);
  print(`data           ${dataDir}`);
  if (values.store !== undefined) print(`store          ${redactUrl(values.store)}`);
  if (values.nats !== undefined) print(`nats           ${redactNatsUrl(values.nats)} (relaying the outbox)`);
  // Never the token itself: stdout ends up in terminals' scrollback, CI logs and journald.
  const tokenFile = join(dataDir, ADMIN_TOKEN_FILE);
  print(`admin token    in ${tokenFile} (mode 0600${control.adminToken ? ', created now' : ''})`);
  print(`               export VERGE_URL=${control.url} VERGE_TOKEN=$(cat ${tokenFile})`);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void control.close().then(done);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

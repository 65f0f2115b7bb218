/**
 * @module cli/edge-managed-workers
 * `verge edge --control URL --workers N`: one replication connection per PoP, not per worker.
 * The primary boots from last-known-good, watches the control plane (ManagedSync), and hands
 * every snapshot and invalidation to its workers (WorkerFleet is the sync's target: a snapshot
 * goes live on every worker or on none). Each worker serves the viewer ports from the shared
 * data dir (bundles, disk tier) and ships its own function logs, access logs and metrics: those
 * travel as batches with ids and deltas (src/edge/sync/telemetry.ts), so N senders add up.
 */
import { resolve } from 'node:path';
import { join } from 'node:path';
import { startEdge } from '../edge/edge.js';
import { EDGE_ADMIN_TOKEN_FILE, loadOrCreateAdminToken } from '../edge/server/admin-token.js';
import { ControlClient, ManagedSync, NatsWatch, Telemetry, emptyPlan } from '../edge/sync/index.js';
import { WorkerFleet, bootPlan, edgeWorkerId, runEdgeWorker, sharedEdge } from '../edge/workers/index.js';
import { toVergeError } from '../shared/errors.js';
import { createLogger, print } from '../shared/log.js';
import { defaultEdgeDataDir } from './edge-managed.js';
import { controlUrls, edgePorts, staticEdgeOptions, type EdgeValues } from './edge-options.js';
import { ensurePortsFree, listening } from './ports.js';

const str = (values: EdgeValues, k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);

/** A worker of a managed PoP: the primary's plans, its own telemetry. */
export async function managedEdgeWorker(values: EdgeValues, token: string): Promise<void> {
  process.on('SIGHUP', () => {});
  const { adminPort: _port, adminTokenFile: _file, ...o } = staticEdgeOptions(values);
  const pop = o.popId!;
  const dataDir = resolve(str(values, 'data-dir') ?? defaultEdgeDataDir(pop));
  const logger = createLogger({ base: { pop, worker: edgeWorkerId()! } });
  const telemetry = new Telemetry({
    client: new ControlClient({ url: controlUrls(str(values, 'control')!), token }),
    pop,
    logger,
  });
  const plan = await bootPlan();
  const edge = await runEdgeWorker(() =>
    startEdge({
      ...o,
      accessLog: str(values, 'access-log') ?? 'off',
      plan,
      dataDir,
      workerId: edgeWorkerId()!,
      shared: sharedEdge(),
      logger: telemetry.teeLogger(logger),
      onInvoke: telemetry.onInvoke,
      onAccessLog: telemetry.onAccessLog,
    }),
  );
  telemetry.start();
  await new Promise<void>((done) => {
    process.once('SIGINT', () => done());
    process.once('SIGTERM', () => done());
    process.once('disconnect', () => done());
  });
  await edge.close();
  await telemetry.stop();
  process.disconnect?.();
}

/** The primary of a managed PoP: the one watch on the control plane, the admin listener, the workers. */
export async function managedEdgePrimary(values: EdgeValues, token: string, workers: number): Promise<void> {
  const o = staticEdgeOptions(values);
  const pop = o.popId!;
  const region = o.region!;
  const dataDir = resolve(str(values, 'data-dir') ?? defaultEdgeDataDir(pop));
  const logger = createLogger({ base: { pop } });
  const sync = new ManagedSync({
    control: { url: controlUrls(str(values, 'control')!), token },
    pop,
    region,
    ...(str(values, 'location') ? { location: str(values, 'location')! } : {}),
    dataDir,
    logger,
    // The one watch: the control plane's stream, or NATS JetStream with --nats.
    ...(str(values, 'nats') ? { watchSource: new NatsWatch({ url: str(values, 'nats')!, pop, dataDir, logger }) } : {}),
    onApplied: (version, ms) =>
      print(`edge ${pop}: snapshot ${version} live on ${workers} workers (${Math.round(ms)} ms)`),
  });
  const boot = await sync.boot();
  const tokenFile = str(values, 'admin-token-file') ?? join(dataDir, EDGE_ADMIN_TOKEN_FILE);
  const admin = {
    host: '127.0.0.1',
    port: o.adminPort,
    token: loadOrCreateAdminToken(tokenFile),
    where: `in ${tokenFile}`,
  };
  const ports = edgePorts(o.port, o.httpsPort, o.adminPort, o.host ?? '0.0.0.0');
  await ensurePortsFree(ports);
  const start = async (plan: typeof boot.plan) => {
    const fleet = new WorkerFleet({ workers, popId: pop, region, plan, admin, logger });
    await listening(ports, () => fleet.start());
    return fleet;
  };
  let fleet: WorkerFleet | undefined;
  let bootVersion = boot.version;
  // As in one process: the stored generations together first, then one distribution at a time.
  if (boot.version === 0 || boot.compiled) {
    try {
      fleet = await start(boot.plan);
      sync.adoptBoot();
    } catch (e) {
      if (boot.version === 0) throw e;
      logger.log('warn', 'stored generations do not load together; activating them one by one', {
        error: toVergeError(e).message,
      });
    }
  }
  if (!fleet) {
    fleet = await start(emptyPlan());
    bootVersion = await sync.restore(fleet).catch((e: unknown) => {
      logger.log('error', 'last-known-good generations failed to load; starting with no distributions', {
        error: toVergeError(e).message,
      });
      sync.forgetBoot();
      return 0;
    });
  }
  sync.start(fleet);
  print(
    `edge ${pop} (${region}) managed by ${controlUrls(str(values, 'control')!).join(', ')}; ${bootVersion ? `booted from last-known-good snapshot ${bootVersion}` : 'no snapshot on disk yet'}`,
  );
  print(`viewers       ${fleet.url}${fleet.httpsUrl ? `  ${fleet.httpsUrl}` : ''}`);
  print(`admin         ${fleet.adminUrl}/healthz  ${fleet.adminUrl}/metrics`);
  print(`admin token   in ${tokenFile} (Authorization: Bearer <token>)`);
  print(
    `workers       ${Object.entries(fleet.pids())
      .map(([id, pid]) => `${id}:${pid}`)
      .join(' ')}`,
  );
  await new Promise<void>((done) => {
    process.once('SIGINT', () => done());
    process.once('SIGTERM', () => done());
    if (process.env.VERGE_SUPERVISED === '1') {
      const parent = process.ppid;
      setInterval(() => process.ppid !== parent && done(), 1000).unref();
    }
  });
  await sync.stop();
  await fleet.close();
}

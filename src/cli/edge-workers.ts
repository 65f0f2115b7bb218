/**
 * @module cli/edge-workers
 * `verge edge --config FILE --workers N`: the primary loads and checks the configs, owns the
 * admin listener and forks the workers (src/edge/workers); each worker is this same command
 * re-run by node:cluster, which serves the viewer ports. SIGHUP to the primary reloads the
 * configs on every worker (refused everywhere if one refuses). Without --data-dir the workers
 * share a disposable disk tier in a temporary folder (removed at exit): cross-worker collapsing
 * hands objects from one worker to the others through it.
 */
import { scanCacheDir } from '../edge/cache/disk-scan.js';
import { loadConfigFiles } from '../edge/config/load.js';
import { startEdge } from '../edge/edge.js';
import { loadOrCreateAdminToken } from '../edge/server/admin-token.js';
import { WorkerFleet, bootPlan, edgeWorkerId, runEdgeWorker, sharedEdge } from '../edge/workers/index.js';
import { createLogger, print } from '../shared/log.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { edgePorts, staticEdgeOptions, type EdgeValues } from './edge-options.js';
import { ensurePortsFree, listening } from './ports.js';

/** Resolves on SIGINT, SIGTERM, or (in a worker) when the primary's channel closes. */
function stopped(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    process.once('disconnect', () => resolve());
  });
}

export async function staticEdgeWorker(values: EdgeValues): Promise<void> {
  // SIGHUP is the primary's (reload); a closing terminal must not stop a worker on its own.
  process.on('SIGHUP', () => {});
  const { adminPort: _port, adminTokenFile: _file, ...o } = staticEdgeOptions(values);
  const plan = await bootPlan();
  const dataDir = o.dataDir ?? process.env.VERGE_EDGE_SHARED_DIR!;
  const edge = await runEdgeWorker(() =>
    startEdge({ ...o, plan, workerId: edgeWorkerId()!, dataDir, shared: sharedEdge() }),
  );
  await stopped();
  await edge.close();
  process.disconnect?.();
}

export async function staticEdgePrimary(values: EdgeValues, workers: number): Promise<void> {
  const o = staticEdgeOptions(values);
  const configs = values.config as string[];
  const { plan } = await loadConfigFiles(configs);
  const tokenFile = o.adminTokenFile!;
  // Without --data-dir the workers still share a disk tier: a disposable one, gone at exit.
  const shared = o.dataDir ? null : mkdtempSync(join(tmpdir(), `verge-edge-${o.popId!}-`));
  if (shared) process.env.VERGE_EDGE_SHARED_DIR = shared;
  const fleet = new WorkerFleet({
    workers,
    popId: o.popId!,
    region: o.region!,
    plan,
    admin: { host: '127.0.0.1', port: o.adminPort, token: loadOrCreateAdminToken(tokenFile), where: `in ${tokenFile}` },
    logger: createLogger({ base: { pop: o.popId! } }),
  });
  // Nobody writes yet: the one moment to clear interrupted writes (workers never sweep).
  if (o.dataDir) await scanCacheDir(join(o.dataDir, 'cache')).catch(() => []);
  const ports = edgePorts(o.port, o.httpsPort, o.adminPort, o.host ?? '0.0.0.0');
  // Before forking: a taken port is named at once rather than by every worker that fails on it.
  await ensurePortsFree(ports);
  await listening(ports, () => fleet.start()).catch((e) => {
    if (shared) rmSync(shared, { recursive: true, force: true });
    throw e;
  });
  print(`edge ${o.popId!} serving ${plan.distributions.map((d) => `${d.id} (${d.aliases.join(', ')})`).join('; ')}`);
  print(`viewers       ${fleet.url}${fleet.httpsUrl ? `  ${fleet.httpsUrl}` : ''}`);
  print(`admin         ${fleet.adminUrl}/healthz  ${fleet.adminUrl}/metrics  POST ${fleet.adminUrl}/invalidations`);
  print(`admin token   in ${tokenFile} (Authorization: Bearer <token>)`);
  print(
    `workers       ${Object.entries(fleet.pids())
      .map(([id, pid]) => `${id}:${pid}`)
      .join(' ')}`,
  );
  print('Ctrl-C stops it; kill -HUP reloads the configs.');
  process.on('SIGHUP', () => {
    loadConfigFiles(configs)
      .then((r) => fleet.applyPlan(r.plan))
      .then(
        () => print(`reloaded: plan ${fleet.plan().version.slice(0, 12)} on ${workers} workers`),
        (e: Error) => print(`reload refused, the previous config keeps serving:\n${e.message}`),
      );
  });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await fleet.close();
  if (shared) rmSync(shared, { recursive: true, force: true });
}

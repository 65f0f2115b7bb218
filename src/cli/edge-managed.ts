/**
 * @module cli/edge-managed
 * An edge in managed mode (`verge edge --control URL --token T --pop ID --region R`): boots from
 * its last-known-good snapshot before the control plane is asked (so a restarted PoP serves while
 * the control plane is down), then registers, watches and applies snapshots (src/edge/sync), and
 * ships function logs, access logs and metrics. Also used in-process by `verge up`'s tests and
 * the replication scenario tests.
 */
import { join, resolve } from 'node:path';
import { toVergeError } from '../shared/errors.js';
import { createLogger, type Logger } from '../shared/log.js';
import { startEdge, type Edge, type EdgeOptions } from '../edge/edge.js';
import { ControlClient, ManagedSync, NatsWatch, Telemetry, emptyPlan } from '../edge/sync/index.js';

export interface ManagedEdgeOptions extends Omit<EdgeOptions, 'plan' | 'configPaths' | 'onInvoke' | 'onAccessLog'> {
  /** A control replica's URL, or several: one is used at a time, the next when it is down. */
  controlUrl: string | readonly string[];
  token: string;
  popId: string;
  region: string;
  location?: string;
  /** Default `.verge/edge-<pop>`. */
  dataDir?: string;
  /** Telemetry flush period (default 1 s). */
  telemetryFlushMs?: number;
  onApplied?: (version: number, ms: number) => void;
  /** Reconnect backoff (default 250 ms doubling to 10 s). */
  backoffMs?: { initial: number; max: number };
  /**
   * Watch NATS JetStream (`nats://host:4222`) for snapshot pointers and invalidations instead of
   * the control plane's SSE stream; snapshot bodies, bundles and acks still go to `controlUrl`.
   */
  natsUrl?: string;
}

export interface ManagedEdge {
  edge: Edge;
  sync: ManagedSync;
  telemetry: Telemetry;
  /** The snapshot version served at boot (0 = none on disk). */
  bootVersion: number;
  close(): Promise<void>;
}

export function defaultEdgeDataDir(pop: string): string {
  return join('.verge', `edge-${pop}`);
}

export async function startManagedEdge(o: ManagedEdgeOptions): Promise<ManagedEdge> {
  const { controlUrl, token, location, telemetryFlushMs, onApplied, backoffMs, natsUrl, ...edgeOpts } = o;
  // Absolute, because snapshot function paths are rewritten into it and then resolved against it.
  const dataDir = resolve(o.dataDir ?? defaultEdgeDataDir(o.popId));
  const logger: Logger = o.logger ?? createLogger({ base: { pop: o.popId } });
  const client = new ControlClient({ url: controlUrl, token });
  const telemetry = new Telemetry({
    client,
    pop: o.popId,
    logger,
    ...(telemetryFlushMs ? { flushMs: telemetryFlushMs } : {}),
  });
  const sync = new ManagedSync({
    control: client,
    pop: o.popId,
    region: o.region,
    ...(location ? { location } : {}),
    dataDir,
    logger,
    ...(onApplied ? { onApplied } : {}),
    ...(backoffMs ? { backoffMs } : {}),
    ...(natsUrl ? { watchSource: new NatsWatch({ url: natsUrl, pop: o.popId, dataDir, logger }) } : {}),
  });
  const boot = await sync.boot();
  const start = (plan: typeof boot.plan) =>
    startEdge({
      ...edgeOpts,
      plan,
      dataDir,
      logger: telemetry.teeLogger(logger),
      onInvoke: telemetry.onInvoke,
      onAccessLog: telemetry.onAccessLog,
    });
  let edge: Edge | undefined;
  let bootVersion = boot.version;
  // The common case: the stored generations load together and serve from the first request.
  if (boot.version === 0 || boot.compiled) {
    try {
      edge = await start(boot.plan);
      sync.adoptBoot();
    } catch (e) {
      if (boot.version === 0) throw e;
      logger.log('warn', 'stored generations do not load together; activating them one by one', {
        error: toVergeError(e).message,
      });
    }
  }
  if (!edge) {
    // One distribution at a time: one that no longer loads (a damaged file, a runtime change)
    // costs only itself.
    edge = await start(emptyPlan());
    try {
      bootVersion = await sync.restore(edge);
    } catch (e) {
      logger.log('error', 'last-known-good generations failed to load; starting with no distributions', {
        version: boot.version,
        error: toVergeError(e).message,
      });
      sync.forgetBoot();
      bootVersion = 0;
    }
  }
  sync.start(edge);
  telemetry.start();
  return {
    edge,
    sync,
    telemetry,
    bootVersion,
    async close() {
      await sync.stop();
      await edge.close();
      await telemetry.stop();
    },
  };
}

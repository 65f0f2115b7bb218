/**
 * @module edge/workers/worker
 * The worker side of `verge edge --workers N`: one Edge (its own viewer listeners on the ports
 * the cluster shares, no admin listener) that answers its primary's requests over IPC: health,
 * metrics and config for the primary's admin listener, invalidations, a static-config reload,
 * and new plans (the primary loads configs and snapshots; the worker compiles them again).
 */
import cluster from 'node:cluster';
import { VergeError } from '../../shared/errors.js';
import type { Edge } from '../edge.js';
import type { EdgePlan } from '../config/plan.js';
import { compilePlan } from '../config/compile.js';
import { isVergeMessage, toWire, type ReqMessage, type ToPrimary, type ToWorker } from './protocol.js';
import { planSourcesFrom, type PlanSources } from './plan-sources.js';

/** The worker's number (1..N) when this process is a `verge edge --workers N` worker, else null. */
export function edgeWorkerId(): number | null {
  const v = process.env.VERGE_EDGE_WORKER;
  return cluster.isWorker && v ? Number(v) : null;
}

export function sendToPrimary(m: ToPrimary): void {
  process.send?.(m);
}

/** Ask the primary for the plan to start with (static configs it loaded, or a managed snapshot). */
export function bootPlan(): Promise<EdgePlan> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown) => {
      if (!isVergeMessage<ToWorker>(m) || m.verge !== 'boot') return;
      process.off('message', onMessage);
      try {
        resolve(compilePlan(planSourcesFrom(m.plan)));
      } catch (e) {
        reject(e);
      }
    };
    process.on('message', onMessage);
    sendToPrimary({ verge: 'hello' });
  });
}

/** Start the worker's edge with `start`, tell the primary, then serve its requests until told to stop. */
export async function runEdgeWorker(start: () => Promise<Edge>): Promise<Edge> {
  let edge: Edge;
  try {
    edge = await start();
  } catch (e) {
    // The primary reports it (once, naming the flag); the worker leaves quietly.
    await new Promise<void>((resolve) => process.send?.({ verge: 'failed', error: toWire(e) }, () => resolve()));
    process.exit(1);
  }
  process.on('message', (m: unknown) => {
    if (!isVergeMessage<ToWorker>(m) || m.verge !== 'req') return;
    answer(edge, m).then(
      (value) => sendToPrimary({ verge: 'res', id: m.id, ok: true, value }),
      (e: unknown) => sendToPrimary({ verge: 'res', id: m.id, ok: false, error: toWire(e) }),
    );
  });
  sendToPrimary({ verge: 'ready', url: edge.url, httpsUrl: edge.httpsUrl, planVersion: edge.plan().version });
  return edge;
}

async function answer(edge: Edge, m: ReqMessage): Promise<unknown> {
  switch (m.op) {
    case 'health':
      return edge.admin.health();
    case 'metrics':
      return edge.admin.metrics();
    case 'config':
      return edge.admin.config();
    case 'invalidate':
      return edge.admin.invalidate(m.body);
    case 'purge':
      // Managed mode's invalidation events: no admin body to check, just the request.
      return edge.invalidate(m.body as Parameters<Edge['invalidate']>[0]);
    case 'apply': {
      // A managed primary compiled this plan from a snapshot; the worker compiles the same
      // inputs again (plans hold compiled matchers and keys, which do not cross IPC).
      await edge.applyPlan(compilePlan(planSourcesFrom(m.body as PlanSources)));
      return { planVersion: edge.plan().version };
    }
    default:
      throw new VergeError('INTERNAL', `unknown worker request ${String((m as { op?: unknown }).op)}`);
  }
}

/**
 * @module edge/workers
 * `verge edge --workers N`: a primary (primary.ts) and N worker processes (worker.ts) that
 * share one PoP's ports, disk tier, admin listener, plan and fetch leases.
 */
export { WorkerFleet, type FleetOptions } from './primary.js';
export { bootPlan, edgeWorkerId, runEdgeWorker } from './worker.js';
export { mergeWorkerMetrics } from './metrics-merge.js';
export { FleetCoalescer, sharedEdge } from './fleet-coalescer.js';

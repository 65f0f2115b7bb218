/**
 * @module edge/sync
 * Managed mode for an edge: the replication client (boot from last-known-good, watch, apply,
 * ack) and telemetry shipping to the control plane. Wired into the edge by `verge edge
 * --control URL --token T` (src/cli/edge-command.ts); talks to the control plane only through
 * src/shared/replication/protocol.ts.
 */
export { ControlClient, type ControlClientOptions } from './control-client.js';
export { LocalStore, sha256Hex } from './local-store.js';
export { ManagedSync, type ManagedSyncOptions, type SyncStatus, type SyncTarget } from './managed-sync.js';
export { emptyPlan, planFromSnapshot, snapshotChecksum, snapshotRefs, verifySnapshot } from './snapshot-plan.js';
export { NatsWatch, type WatchSource } from './nats-watch.js';
export { SseParser, type SseEvent } from './sse.js';
export { Telemetry, type TelemetryOptions, type TelemetryStats } from './telemetry.js';
export { MetricAggregator, type InvocationSample, type RequestSample } from './metrics.js';

/**
 * @module client/types
 * The resources of the control plane's REST API (`docs/api.md`) as TypeScript types: what
 * the client sends and what it gets back, `Static<>` of the schemas the server validates and
 * documents with (src/shared/api/bodies.ts, answers.ts), so client and server cannot drift. The
 * query-string filters (LogFilter, MetricQuery) and the metric points are the client's own.
 */
import type { Static } from 'typebox';
import type * as A from '../shared/api/answers.js';
import type * as B from '../shared/api/bodies.js';
import type { DistributionConfig } from '../shared/config/types.js';
import type { LogRecord } from '../shared/replication/protocol.js';

export type { DistributionConfig, LogRecord };

export type FunctionRuntime = 'nodejs' | 'python' | 'cloudfront-js-2.0' | 'cloudfront-js-1.0';
export type LimitProfile = 'cloudfront' | 'relaxed';
export type EventType = 'viewer-request' | 'origin-request' | 'origin-response' | 'viewer-response';

/** A function package in a request: a zip, a map of text files, or one source file. */
export type CodeInput = Static<typeof B.CodeSchema>;

export type FunctionVersion = Static<typeof A.VersionSchema>;

/** A Function as every answer carries it. Limits are `null` when unset: the limit profile's value applies. */
export type FunctionResource = Static<typeof A.FunctionSchema>;

export type CreateFunctionInput = Static<typeof B.FunctionCreateSchema>;

/** `null` resets a setting to the profile's value; `{ K: null }` deletes an env var or secret. */
export type UpdateFunctionInput = Static<typeof B.FunctionPatchSchema>;

/** `allow`: hosts, addresses or CIDR blocks, each with an optional :port (docs/security.md). */
export type EgressSetting = Static<typeof A.EgressSettingSchema>;

export type FunctionCode = Static<typeof A.FunctionCodeAnswerSchema>;

export type FunctionTestInput = Static<typeof B.FunctionTestSchema>;

export type FunctionTestResult = Static<typeof A.FunctionTestResultSchema>;

export type Distribution = Static<typeof A.DistributionAnswerSchema>;

/** How viewers reach a staging distribution: a header (`aws-cf-cd-*`) or a weight (1–15%). */
export type StagingRouting = Static<typeof B.StagingRouteSchema>;

export type StagingMetrics = Static<typeof A.StagingMetricsSchema>;

/** `GET /distributions/{id}/staging`: primary and staging side by side. */
export type StagingView = Static<typeof A.StagingViewSchema>;

export type DistributionGeneration = Static<typeof A.DistributionGenerationSchema>;

export type PopDeployState = Static<typeof A.PopDeployStateSchema>;

export type Trigger = Static<typeof A.TriggerSchema>;
export type CanaryState = Static<typeof A.CanaryStateSchema>;
export type TriggerCanary = Static<typeof A.TriggerCanarySchema>;

export type CreateTriggerInput = Static<typeof B.TriggerCreateSchema>;

export type Invalidation = Static<typeof A.InvalidationSchema>;

export type KeyValueStore = Static<typeof A.KeyValueStoreSchema>;

/** A public key for signed URLs and cookies; `id` is the `Key-Pair-Id` signers send. */
export type PublicKey = Static<typeof A.PublicKeySchema>;

/** A key group: what a cache behavior's `trustedKeyGroups` names by `id`. */
export type KeyGroup = Static<typeof A.KeyGroupSchema>;

export type KeyGroupInput = Static<typeof B.KeyGroupBodySchema>;

export type Pop = Static<typeof A.PopSchema>;

export type DeploymentAck = Deployment['acks'][string];

export type Deployment = Static<typeof A.DeploymentSchema>;

export type Token = Static<typeof A.TokenSchema>;

export type CreatedToken = Static<typeof A.CreatedTokenSchema>;

export type Health = Static<typeof A.HealthSchema>;

export interface LogFilter {
  function?: string;
  version?: string | number;
  distribution?: string;
  pop?: string;
  status?: string | number;
  requestId?: string;
  type?: LogRecord['type'];
  /** Epoch ms, ISO time, or a duration like `10m` (the server's grammar). */
  since?: string | number;
  until?: string | number;
  limit?: number;
}

export interface MetricQuery {
  kind: 'function' | 'distribution';
  name?: string;
  version?: string | number;
  distribution?: string;
  pop?: string;
  since?: string | number;
  until?: string | number;
  step?: string | number;
}

export interface MetricPointOut {
  time: number;
  invocations?: number;
  errors?: Record<string, number>;
  p50?: number | null;
  p95?: number | null;
  p99?: number | null;
  coldStarts?: number;
  throttles?: number;
  requests?: number;
  bytes?: number;
  hitRatio?: number | null;
  rate4xx?: number | null;
  rate5xx?: number | null;
  originLatencyP50?: number | null;
}

export interface MetricSeries {
  labels: Record<string, string>;
  points: MetricPointOut[];
  /** The same fields over the whole window [since, until) (percentiles from the merged histogram). */
  total: MetricPointOut;
}

export interface Items<T> {
  items: T[];
}

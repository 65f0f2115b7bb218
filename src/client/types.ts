/**
 * @module client/types
 * The resources of the control plane's REST API (`docs/api.md`) as TypeScript types: what
 * the client sends and what it gets back. Shared shapes (distribution config, log records)
 * come from `src/shared`; everything else is defined here because only clients need it.
 */
import type { DistributionConfig } from '../shared/config/types.js';
import type { LogRecord } from '../shared/replication/protocol.js';

export type { DistributionConfig, LogRecord };

export type FunctionRuntime = 'nodejs' | 'python' | 'cloudfront-js-2.0' | 'cloudfront-js-1.0';
export type LimitProfile = 'cloudfront' | 'relaxed';
export type EventType = 'viewer-request' | 'origin-request' | 'origin-response' | 'viewer-response';

/** A function package in a request: a zip, a map of text files, or one source file. */
export type CodeInput =
  { zipBase64: string } | { files: Record<string, string> } | { source: string; filename: string };

export interface FunctionVersion {
  version: number;
  sha256: string;
  size: number;
  createdAt: string;
  description: string;
}

/** A Function as every answer carries it. Limits are `null` when unset: the limit profile's value applies. */
export interface FunctionResource {
  name: string;
  runtime: FunctionRuntime;
  handler: string;
  memoryMB: number | null;
  timeoutMs: number | null;
  profile: LimitProfile | null;
  concurrency: number | null;
  /** A KeyValueStore name (cloudfront-js-2.0 only). */
  kvs: string | null;
  /** Where outbound requests may go beyond public addresses (docs/security.md); null: public only. */
  egress: EgressSetting | null;
  env: Record<string, string>;
  /** Always `***`: secrets are never returned in plain text. */
  secrets: Record<string, string>;
  codeSha256: string;
  codeSize: number;
  lastModified: string;
  /** How many numbered versions exist (in lists too). */
  versionCount: number;
  /** The newest version number; null before the first publish. */
  latestVersion: number | null;
  /** Every version, oldest first: in single-function answers, not in `functions.list()`. */
  versions?: FunctionVersion[];
  etag: string;
}

export interface CreateFunctionInput {
  name: string;
  runtime: FunctionRuntime;
  handler?: string;
  memoryMB?: number | null;
  timeoutMs?: number | null;
  profile?: LimitProfile | null;
  concurrency?: number | null;
  kvs?: string | null;
  egress?: EgressSetting | null;
  env?: Record<string, string>;
  secrets?: Record<string, string>;
  code: CodeInput;
}

/** `null` resets a setting to the profile's value; `{ K: null }` deletes an env var or secret. */
export interface UpdateFunctionInput {
  handler?: string;
  memoryMB?: number | null;
  timeoutMs?: number | null;
  profile?: LimitProfile | null;
  concurrency?: number | null;
  kvs?: string | null;
  /** Replaces the whole allow-list; null removes it. */
  egress?: EgressSetting | null;
  env?: Record<string, string | null>;
  secrets?: Record<string, string | null>;
}

/** `allow`: hosts, addresses or CIDR blocks, each with an optional :port (docs/security.md). */
export interface EgressSetting {
  allow: string[];
}

export interface FunctionCode {
  files: Record<string, string>;
  zipBase64: string;
}

export interface FunctionTestInput {
  eventType: EventType;
  event?: unknown;
  version?: number | string;
}

export interface FunctionTestResult {
  result: unknown;
  logs: unknown[];
  durationMs: number;
  coldStart: boolean;
  error: { class?: string; code?: string; message: string } | null;
}

export interface Distribution {
  id: string;
  config: DistributionConfig;
  status: 'InProgress' | 'Deployed';
  /** PoP ids that have not acknowledged the snapshot carrying the latest change. */
  pending: string[];
  /** The status in words: who is pending, and how to remove a PoP that is gone for good. */
  statusText: string;
  /** The snapshot that carries the latest change. */
  snapshot: number;
  /** The distribution's generation: the same number (PoPs activate and acknowledge distributions by generation). */
  generation: number;
  /** Per PoP: Deployed (serves this generation), InProgress, or Refused (with why; it keeps serving `generation`). */
  pops: Record<string, PopDeployState>;
  lastModified: string;
  etag: string;
}

/** How viewers reach a staging distribution: a header (`aws-cf-cd-*`) or a weight (1–15%). */
export interface StagingRouting {
  header?: { name: string; value: string };
  /** `stickySeconds` (300–3600): keep each viewer's side in a cookie idle at most that long. */
  weight?: { percent: number; stickySeconds?: number };
}

export interface StagingMetrics {
  requests: number;
  /** Answers by class over the window (counts). */
  errors: { '4xx': number; '5xx': number };
  rate4xx: number;
  rate5xx: number;
  /** ms, from the merged histograms; null without origin fetches. */
  originLatencyP50: number | null;
  originLatencyP95: number | null;
  originLatencyP99: number | null;
}

/** `GET /distributions/{id}/staging`: primary and staging side by side. */
export interface StagingView {
  primary: Distribution;
  staging: Distribution;
  routing: (StagingRouting & { stagingDistributionId: string }) | null;
  metrics: { windowMs: number; primary: StagingMetrics; staging: StagingMetrics };
}

export interface DistributionGeneration {
  generation: number;
  createdAt: string;
  reason: string;
  /** The generation the distribution has now. */
  current: boolean;
}

export interface PopDeployState {
  status: 'Deployed' | 'InProgress' | 'Refused';
  /** The generation the PoP serves (0: none; null: an edge that reports no generations). */
  generation: number | null;
  error: string | null;
  /** When the PoP reached this state, or null before it acknowledged anything. */
  at: string | null;
}

export interface Trigger {
  id: string;
  distributionId: string;
  /** A path pattern (`/api/*`) or `default`. */
  behavior: string;
  eventType: EventType;
  /** `name:version`. */
  function: string;
  includeBody: boolean;
  /** The trigger's canary (running or ended), or null when it never had one. */
  canary: TriggerCanary | null;
  createdAt: string;
  etag: string;
}

export type CanaryState = 'stepping' | 'holding' | 'promoted' | 'rolled-back';

export interface TriggerCanary {
  id: string;
  /** The new version, `name:version`. */
  function: string;
  state: CanaryState;
  /** The share of viewers on the new version now (100 once promoted, 0 once rolled back). */
  percent: number;
  /** Who runs what now: the previous version and the new one while it runs, one entry after. */
  split: Array<{ function: string; percent: number }>;
  /** The shares it steps through, starting with the first. */
  steps: number[];
  stepIntervalSeconds: number | null;
  /** When the next step (or the promotion) is due while stepping; null otherwise. */
  nextStepAt: string | null;
  autoRollback: boolean;
  startedAt: string;
  /** What happened, oldest first: started, stepped, promoted, rolled-back (with the reason). */
  events: Array<{
    at: string;
    kind: 'started' | 'stepped' | 'promoted' | 'rolled-back';
    percent: number;
    message: string;
  }>;
}

export interface CreateTriggerInput {
  distributionId: string;
  behavior: string;
  eventType: EventType;
  function: string;
  includeBody?: boolean;
  /** Run `function` for a share of viewers next to the version already attached. */
  canary?: { percent: number; steps?: number[]; stepIntervalSeconds?: number; autoRollback?: boolean };
}

export interface Invalidation {
  id: string;
  distributionId: string;
  paths: string[];
  tags: string[];
  createdAt: string;
  status: 'InProgress' | 'Completed';
  /** Per registered PoP; `removed` (entries cleared) and `at` are null until it acknowledged. */
  pops: Record<string, { status: 'InProgress' | 'Completed'; removed: number | null; at: string | null }>;
}

export interface KeyValueStore {
  name: string;
  keyCount: number;
  updatedAt: string;
}

/** A public key for signed URLs and cookies; `id` is the `Key-Pair-Id` signers send. */
export interface PublicKey {
  id: string;
  name: string;
  /** PEM, RSA 2048-bit. */
  encodedKey: string;
  comment: string;
  createdTime: string;
}

/** A key group: what a cache behavior's `trustedKeyGroups` names by `id`. */
export interface KeyGroup {
  id: string;
  name: string;
  comment: string;
  publicKeyIds: string[];
  lastModifiedTime: string;
  etag: string;
}

export interface KeyGroupInput {
  name: string;
  publicKeyIds: string[];
  comment?: string;
}

export interface Pop {
  id: string;
  region: string;
  location: string | null;
  edgeVersion: string;
  appliedVersion: number;
  lastSeen: string;
  /** It holds a watch stream open now. */
  connected: boolean;
  health: 'healthy' | 'stale' | 'down';
}

export interface DeploymentAck {
  ok: boolean;
  at: string | number;
  error?: string | null;
}

export interface Deployment {
  version: number;
  createdAt: string;
  reason: string;
  checksum: string;
  acks: Record<string, DeploymentAck>;
  /** Registered PoPs that have not applied it. */
  pending: string[];
}

export interface Token {
  id: string;
  name: string;
  kind: 'admin' | 'edge';
  pop?: string | null;
  createdAt: string;
  revokedAt?: string | null;
}

export interface CreatedToken {
  id: string;
  name: string;
  kind: 'admin' | 'edge';
  pop?: string | null;
  /** Shown once. */
  token: string;
}

export interface Health {
  status: 'ok';
  snapshot: number;
}

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

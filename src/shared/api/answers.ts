/**
 * @module shared/api/answers
 * Every control API answer, written once as TypeBox schemas: the OpenAPI document shows them as
 * the routes' success responses, the client's types (src/client/types.ts) are `Static<>` of them,
 * and the tests check real answers against them. The resources are closed objects
 * (`additionalProperties: false`): a field added to a view without adding it here fails those tests.
 */
import { Type, type TSchema } from 'typebox';
import { recordOf } from '../schema/record.js';
import { DistributionSchema } from '../config/schema.js';
import { literals } from '../config/schema-policies.js';
import { EVENT_TYPES } from '../lambda-edge/events.js';

const closed = { additionalProperties: false } as const;
const opt = Type.Optional;
const nullable = <T extends TSchema>(s: T) => Type.Union([s, Type.Null()]);
const ISO = Type.String({ description: 'an ISO 8601 time' });
const SHA256 = Type.String({ pattern: '^[0-9a-f]{64}$' });
const ETAG = Type.String({ description: 'the revision, `"r<N>"`; send it back as If-Match' });
const count = (description?: string) => Type.Integer({ minimum: 0, ...(description ? { description } : {}) });

export const FUNCTION_RUNTIMES = ['nodejs', 'python', 'cloudfront-js-2.0', 'cloudfront-js-1.0'] as const;
export const FunctionRuntimeSchema = literals(FUNCTION_RUNTIMES);
export const LimitProfileSchema = literals(['cloudfront', 'relaxed'] as const);
export const EventTypeSchema = literals(EVENT_TYPES);

/** `{ items: [...] }`, the shape of every list answer. */
export const itemsOf = <T extends TSchema>(item: T) => Type.Object({ items: Type.Array(item) }, closed);

export const VersionSchema = Type.Object(
  { version: Type.Integer({ minimum: 1 }), sha256: SHA256, size: count('bytes of the zip'), createdAt: ISO, description: Type.String() }, // prettier-ignore
  closed,
);

export const EgressSettingSchema = Type.Object(
  { allow: Type.Array(Type.String()) },
  { ...closed, description: 'hosts, addresses or CIDR blocks, each with an optional :port (docs/security.md)' },
);

const unsetIsProfile = <T extends TSchema>(s: T, what: string) =>
  Type.Union([s, Type.Null()], { description: `${what}; null when unset (the profile's value applies)` });

export const FunctionSchema = Type.Object(
  {
    name: Type.String(),
    runtime: FunctionRuntimeSchema,
    handler: Type.String(),
    memoryMB: unsetIsProfile(Type.Integer(), 'memory in MB'),
    timeoutMs: unsetIsProfile(Type.Integer(), 'timeout in ms'),
    profile: unsetIsProfile(LimitProfileSchema, 'the limit profile'),
    concurrency: unsetIsProfile(Type.Integer(), 'instances per PoP'),
    kvs: Type.Union([Type.String(), Type.Null()], { description: 'the KeyValueStore (cloudfront-js-2.0 only); null for none' }), // prettier-ignore
    egress: Type.Union([EgressSettingSchema, Type.Null()], { description: 'the egress allow-list (docs/security.md); null: public addresses only' }), // prettier-ignore
    env: recordOf(Type.String()),
    secrets: recordOf(Type.Unsafe<string>(Type.Literal('***')), {
      description: 'names only: values are always ***',
    }),
    codeSha256: SHA256,
    codeSize: count(),
    lastModified: ISO,
    versionCount: count('how many numbered versions are published'),
    latestVersion: Type.Union([Type.Integer(), Type.Null()], { description: 'the newest version number; null before the first' }), // prettier-ignore
    versions: opt(Type.Array(VersionSchema, { description: 'every version, oldest first; in single-function answers only (GET /functions has the count and the latest)' })), // prettier-ignore
    etag: ETAG,
  },
  closed,
);

/** GET /functions/{name}/code: the package's files (text) and the zip. */
export const FunctionCodeAnswerSchema = Type.Object(
  {
    version: Type.String({ description: '$LATEST or a version number' }),
    sha256: SHA256,
    files: recordOf(Type.String(), { description: 'the text files by path' }),
    binary: Type.Array(Type.String(), { description: 'the paths of files that are not UTF-8 text' }),
    zipBase64: Type.String(),
  },
  closed,
);

export const FunctionTestResultSchema = Type.Object(
  {
    result: Type.Unknown({ description: 'what the function returned (a request or a response)' }),
    logs: Type.Array(Type.Unknown()),
    durationMs: Type.Number(),
    coldStart: Type.Boolean(),
    error: nullable(Type.Object({ class: opt(Type.String()), code: opt(Type.String()), message: Type.String() })),
  },
  { additionalProperties: true },
);

export const PopDeployStateSchema = Type.Object(
  {
    status: literals(['Deployed', 'InProgress', 'Refused'] as const),
    /** The generation the PoP serves (0: none; null: an edge that reports no generations). */
    generation: nullable(Type.Integer({ minimum: 0 })),
    error: nullable(Type.String()),
    at: nullable(Type.String({ description: 'ISO 8601: when the PoP reached this state' })),
  },
  closed,
);

export const DistributionAnswerSchema = Type.Object(
  {
    id: Type.String(),
    /** The config (docs/configuration.md) without function associations: those are triggers. */
    config: DistributionSchema,
    status: literals(['InProgress', 'Deployed'] as const),
    pending: Type.Array(Type.String(), { description: 'the registered PoPs that have not applied the snapshot carrying the last change' }), // prettier-ignore
    statusText: Type.String({ description: 'the status in words: who is pending, and how to remove a PoP that is gone for good' }), // prettier-ignore
    snapshot: count('the snapshot that carries the last change'),
    generation: count('the generation PoPs activate and acknowledge (the snapshot that carries the last change)'),
    pops: recordOf(PopDeployStateSchema, { description: 'per PoP: Deployed, InProgress or Refused (with why), and the generation it serves' }), // prettier-ignore
    lastModified: ISO,
    etag: ETAG,
  },
  closed,
);

export const DistributionGenerationSchema = Type.Object(
  { generation: Type.Integer(), createdAt: ISO, reason: Type.String(), current: Type.Boolean() },
  closed,
);
export const DistributionRollbackAnswerSchema = Type.Object(
  { ...DistributionAnswerSchema.properties, rolledBackTo: Type.Integer(), newSnapshot: nullable(Type.Integer()) },
  closed,
);

const RoutingSchema = Type.Object(
  {
    stagingDistributionId: Type.String(),
    header: opt(Type.Object({ name: Type.String(), value: Type.String() }, closed)),
    weight: opt(Type.Object({ percent: Type.Integer(), stickySeconds: opt(Type.Integer()) }, closed)),
  },
  closed,
);
export const StagingMetricsSchema = Type.Object(
  {
    requests: Type.Number(),
    errors: Type.Object({ '4xx': Type.Number(), '5xx': Type.Number() }, { ...closed, description: 'answers by class over the window (counts)' }), // prettier-ignore
    rate4xx: Type.Number(),
    rate5xx: Type.Number(),
    originLatencyP50: nullable(Type.Number({ description: 'ms, from the merged histograms; null without origin fetches' })), // prettier-ignore
    originLatencyP95: nullable(Type.Number()),
    originLatencyP99: nullable(Type.Number()),
  },
  closed,
);
export const StagingViewSchema = Type.Object(
  {
    primary: DistributionAnswerSchema,
    staging: DistributionAnswerSchema,
    routing: nullable(RoutingSchema),
    metrics: Type.Object({ windowMs: Type.Integer(), primary: StagingMetricsSchema, staging: StagingMetricsSchema }, closed), // prettier-ignore
  },
  closed,
);

export const CanaryStateSchema = literals(['stepping', 'holding', 'promoted', 'rolled-back'] as const);

export const TriggerCanarySchema = Type.Object(
  {
    id: Type.String(),
    function: Type.String({ description: 'the new version, `name:version`' }),
    state: CanaryStateSchema,
    percent: Type.Number({ description: 'the share of viewers on the new version now (100 once promoted, 0 once rolled back)' }), // prettier-ignore
    split: Type.Array(Type.Object({ function: Type.String(), percent: Type.Number() }, closed), { description: 'who runs what now' }), // prettier-ignore
    steps: Type.Array(Type.Number(), { description: 'the shares it steps through, starting with the first' }),
    stepIntervalSeconds: nullable(Type.Number()),
    nextStepAt: nullable(Type.String({ description: 'when the next step (or the promotion) is due while stepping' })),
    autoRollback: Type.Boolean(),
    startedAt: ISO,
    events: Type.Array(
      Type.Object(
        { at: ISO, kind: literals(['started', 'stepped', 'promoted', 'rolled-back'] as const), percent: Type.Number(), message: Type.String() }, // prettier-ignore
        closed,
      ),
      { description: 'what happened, oldest first' },
    ),
  },
  closed,
);

export const TriggerSchema = Type.Object(
  {
    id: Type.String(),
    distributionId: Type.String(),
    behavior: Type.String({ description: 'a path pattern (`/api/*`) or `default`' }),
    eventType: EventTypeSchema,
    function: Type.String({ description: '`name:version`' }),
    includeBody: Type.Boolean(),
    canary: Type.Union([TriggerCanarySchema, Type.Null()], { description: "the trigger's canary (running or ended), or null when it never had one" }), // prettier-ignore
    createdAt: ISO,
    etag: ETAG,
  },
  closed,
);

const InvalidationPopSchema = Type.Object(
  { status: literals(['InProgress', 'Completed'] as const), removed: nullable(count()), at: nullable(ISO) },
  closed,
);
export const InvalidationSchema = Type.Object(
  {
    id: Type.String(),
    distributionId: Type.String(),
    paths: Type.Array(Type.String()),
    tags: Type.Array(Type.String()),
    createdAt: ISO,
    status: literals(['InProgress', 'Completed'] as const),
    pops: recordOf(InvalidationPopSchema, { description: '`removed` and `at` are null until the PoP acknowledged' }), // prettier-ignore
  },
  closed,
);

export const KeyValueStoreSchema = Type.Object(
  {
    name: Type.String(),
    keyCount: count(),
    updatedAt: ISO,
    data: opt(recordOf(Type.String(), { description: 'in single-store answers only' })),
    etag: ETAG,
  },
  closed,
);

export const PublicKeySchema = Type.Object(
  {
    id: Type.String({ description: 'the public key id, sent by signers as Key-Pair-Id (e.g. K2JCJMDEHXQW5F)' }),
    name: Type.String(),
    encodedKey: Type.String({ description: 'the RSA 2048-bit public key, PEM' }),
    comment: Type.String(),
    createdTime: ISO,
  },
  closed,
);

export const KeyGroupSchema = Type.Object(
  {
    id: Type.String({ description: "the key group id (a UUID) that behaviors' trustedKeyGroups name" }),
    name: Type.String(),
    comment: Type.String(),
    publicKeyIds: Type.Array(Type.String(), { description: '1–5 public key ids' }),
    lastModifiedTime: ISO,
    etag: ETAG,
  },
  closed,
);

export const PopSchema = Type.Object(
  {
    id: Type.String(),
    region: Type.String(),
    location: nullable(Type.String()),
    edgeVersion: Type.String(),
    appliedVersion: count('the newest snapshot it acknowledged'),
    lastSeen: ISO,
    connected: Type.Boolean({ description: 'it holds a watch stream open now' }),
    health: literals(['healthy', 'stale', 'down'] as const),
  },
  closed,
);

export const DeploymentSchema = Type.Object(
  {
    version: Type.Integer({ minimum: 1 }),
    createdAt: ISO,
    reason: Type.String(),
    checksum: Type.String(),
    acks: recordOf(Type.Object({ ok: Type.Boolean(), at: ISO, error: opt(nullable(Type.String())) }, closed)), // prettier-ignore
    pending: Type.Array(Type.String(), { description: 'registered PoPs that have not applied it' }),
  },
  closed,
);
export const DeploymentRollbackSchema = Type.Object({ ...DeploymentSchema.properties, rolledBackTo: Type.Integer() }, closed); // prettier-ignore

const tokenFields = {
  id: Type.String(),
  name: Type.String(),
  kind: literals(['admin', 'edge'] as const),
  pop: opt(nullable(Type.String())),
};
export const TokenSchema = Type.Object({ ...tokenFields, createdAt: ISO, revokedAt: opt(nullable(ISO)) }, closed);
export const CreatedTokenSchema = Type.Object(
  { ...tokenFields, createdAt: ISO, revokedAt: opt(nullable(ISO)), token: Type.String({ description: 'shown once' }) }, // prettier-ignore
  closed,
);

export const HealthSchema = Type.Object({ status: Type.Literal('ok'), snapshot: count() }, closed);

export const RegisterAnswerSchema = Type.Object(
  { pop: Type.String(), protocol: Type.Integer(), latestVersion: count() },
  closed,
);
export const BatchAnswerSchema = Type.Object({ accepted: count(), duplicate: Type.Boolean() }, closed);

/** A snapshot document as the edges fetch it (shared/replication/protocol.ts SnapshotDocument). */
export const SnapshotDocumentSchema = Type.Object(
  { version: Type.Integer({ minimum: 1 }) },
  { additionalProperties: true, description: 'the snapshot document (src/shared/replication/protocol.ts)' },
);
export const KvsDataSchema = recordOf(Type.String(), { description: 'a KeyValueStore by content hash' }); // prettier-ignore

export const MetricPointOutSchema = Type.Object(
  { time: Type.Number() },
  { additionalProperties: true, description: 'counters, rates and percentiles of one step (docs/api.md)' },
);
export const MetricsAnswerSchema = Type.Object(
  {
    kind: literals(['function', 'distribution'] as const),
    since: Type.Number(),
    until: Type.Number(),
    step: Type.Number(),
    series: Type.Array(
      Type.Object(
        { labels: recordOf(Type.String()), points: Type.Array(MetricPointOutSchema), total: MetricPointOutSchema }, // prettier-ignore
        closed,
      ),
    ),
  },
  closed,
);

/** Every error answer: a stable code (docs/errors.md), a message and, for bad input, every problem by path. */
export const ErrorSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      fields: opt(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
    }),
  },
  { additionalProperties: true },
);
/** A Server-Sent Events stream (the events are described in docs/api.md and shared/replication/schemas.ts). */
export const eventStream = (events: string) => Type.String({ description: `text/event-stream: ${events}` });
export const ZipSchema = Type.String({ format: 'binary', description: 'a zip file' });
export const OpenApiSchema = Type.Object({ openapi: Type.String() }, { additionalProperties: true, description: 'this document' }); // prettier-ignore

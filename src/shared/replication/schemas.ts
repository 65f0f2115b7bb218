/**
 * @module shared/replication/schemas
 * The replication messages (protocol.ts) written once, as TypeBox schemas: the TypeScript
 * types are `Static<>` of them (protocol.ts re-exports them under their old names), the control
 * plane validates the edges' uploads with them (Ajv, src/shared/schema/check.ts), and the
 * OpenAPI document shows them as they are (components.schemas, and the routes' bodies).
 */
import { Type, type Static } from 'typebox';
import { recordOf } from '../schema/record.js';

/** PoP ids: what `S.name('PoP')` allowed before, with the same message. */
export const PopId = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9_-]+$',
  'x-pattern-text': 'PoP names use 1–64 of letters, digits, - and _',
});

export const RegisterRequestSchema = Type.Object(
  {
    pop: PopId,
    region: Type.String({ minLength: 1, maxLength: 64 }),
    location: Type.Optional(Type.String({ maxLength: 128 })),
    /** The snapshot the edge is serving now (0 = none). */
    appliedVersion: Type.Integer({ minimum: 0 }),
    edgeVersion: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type RegisterRequest = Static<typeof RegisterRequestSchema>;

/** One distribution's state at a PoP after a snapshot (per-distribution activation). */
export const DistributionAckSchema = Type.Object(
  {
    /** The generation the PoP serves now (0: none, the distribution answers 403 there). */
    generation: Type.Integer({ minimum: 0 }),
    /** The generation the snapshot asked for. */
    wanted: Type.Integer({ minimum: 0 }),
    /** False when the PoP refused `wanted` (and keeps serving `generation`). */
    ok: Type.Boolean(),
    error: Type.Optional(Type.String({ maxLength: 4096 })),
  },
  { additionalProperties: false },
);
export type DistributionAck = Static<typeof DistributionAckSchema>;

export const AckRequestSchema = Type.Object(
  {
    pop: PopId,
    version: Type.Integer({ minimum: 1 }),
    /** True when every distribution of the snapshot is live at its generation. */
    ok: Type.Boolean(),
    /** Why the snapshot (or some of its distributions) was refused (bad bundle hash, function failed to load, ...). */
    error: Type.Optional(Type.String({ maxLength: 4096 })),
    /** Per distribution id: what the PoP serves now and whether it refused the generation it was sent. */
    distributions: Type.Optional(recordOf(DistributionAckSchema)),
  },
  { additionalProperties: false },
);
export type AckRequest = Static<typeof AckRequestSchema>;

export const InvalidationAckSchema = Type.Object(
  { pop: PopId, removed: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);
export type InvalidationAck = Static<typeof InvalidationAckSchema>;

/** `snapshot` event of GET /edge/watch. */
export const WatchSnapshotEventSchema = Type.Object({
  version: Type.Integer({ minimum: 1 }),
  checksum: Type.String({ pattern: '^[0-9a-f]{64}$' }),
});
export type WatchSnapshotEvent = Static<typeof WatchSnapshotEventSchema>;

/** `invalidation` event of GET /edge/watch. */
export const WatchInvalidationEventSchema = Type.Object({
  id: Type.String({ minLength: 1 }),
  distributionId: Type.String({ minLength: 1 }),
  paths: Type.Array(Type.String()),
  tags: Type.Array(Type.String()),
});
export type WatchInvalidationEvent = Static<typeof WatchInvalidationEventSchema>;

const logRecordFields = {
  type: Type.Union([Type.Literal('function'), Type.Literal('function-error'), Type.Literal('access')]),
  /** Epoch ms. */
  time: Type.Number(),
  requestId: Type.String(),
  distributionId: Type.Optional(Type.String()),
  functionName: Type.Optional(Type.String()),
  functionVersion: Type.Optional(Type.String()),
  eventType: Type.Optional(Type.String()),
  level: Type.Optional(
    Type.Union([Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')]),
  ),
  status: Type.Optional(Type.Integer()),
  message: Type.String(),
  /** The whole original record (access-log fields, error class, ...). */
  fields: Type.Optional(recordOf(Type.Unknown())),
};

/** One log record: a function's console line, a function error, or an access log. */
export const LogRecordSchema = Type.Object({ ...logRecordFields, pop: Type.String() }, { additionalProperties: false }); // prettier-ignore
export type LogRecord = Static<typeof LogRecordSchema>;

/** Most records an upload batch may carry. */
export const MAX_BATCH = 10_000;

/** A record as uploaded: its PoP is the batch's (the authenticated one), so `pop` may be left out. */
const UploadedLogRecord = Type.Object(
  { ...logRecordFields, pop: Type.Optional(Type.String()) },
  { additionalProperties: false },
);

export const LogBatchSchema = Type.Object(
  {
    batchId: Type.String({ minLength: 1, maxLength: 128 }),
    pop: PopId,
    records: Type.Array(UploadedLogRecord, { maxItems: MAX_BATCH }),
  },
  { additionalProperties: false },
);
export type LogBatch = Static<typeof LogBatchSchema>;

export const MetricPointSchema = Type.Object(
  {
    /** Interval start, epoch ms. */
    time: Type.Number(),
    intervalMs: Type.Integer({ minimum: 1 }),
    kind: Type.Union([Type.Literal('function'), Type.Literal('distribution')]),
    /** function: `name`, `version`, `event`; distribution: `distribution`. */
    labels: recordOf(Type.String()),
    /** Names in METRIC_COUNTERS; errors by class as `error:<Class>`. */
    counters: recordOf(Type.Number()),
    /** Bucket upper bounds (ms) and counts; counts has one more entry, for values above the last bound. */
    histogram: Type.Optional(
      Type.Object({
        boundsMs: Type.Array(Type.Number()),
        counts: Type.Array(Type.Number()),
        sum: Type.Number(),
        count: Type.Number(),
      }),
    ),
  },
  { additionalProperties: false },
);
export type MetricPoint = Static<typeof MetricPointSchema>;

export const MetricBatchSchema = Type.Object(
  {
    batchId: Type.String({ minLength: 1, maxLength: 128 }),
    pop: PopId,
    points: Type.Array(MetricPointSchema, { maxItems: MAX_BATCH }),
  },
  { additionalProperties: false },
);
export type MetricBatch = Static<typeof MetricBatchSchema>;

/** Every replication message schema by name, for the OpenAPI document's components. */
export const REPLICATION_SCHEMAS = {
  RegisterRequest: RegisterRequestSchema,
  AckRequest: AckRequestSchema,
  DistributionAck: DistributionAckSchema,
  InvalidationAck: InvalidationAckSchema,
  WatchSnapshotEvent: WatchSnapshotEventSchema,
  WatchInvalidationEvent: WatchInvalidationEventSchema,
  LogRecord: LogRecordSchema,
  LogBatch: LogBatchSchema,
  MetricPoint: MetricPointSchema,
  MetricBatch: MetricBatchSchema,
} as const;

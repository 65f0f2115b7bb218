/**
 * @module shared/api/bodies
 * Every control API request body, written once as TypeBox schemas: the route table validates
 * with them (Ajv, every problem by JSON path: src/shared/schema/check.ts), the handlers read
 * `Static<>` of them (no casts), and the OpenAPI document shows them as they are. The replication
 * messages live in shared/replication/schemas.ts; the distribution config in shared/config/schema.ts.
 */
import { Type, type Static, type TSchema } from 'typebox';
import { recordOf } from '../schema/record.js';
import { MAX_EGRESS_ENTRIES } from '../config/egress.js';
import { RUNTIME_NAMES } from '../config/functions.js';
import { literals } from '../config/schema-policies.js';
import { EVENT_TYPES } from '../lambda-edge/events.js';

const opt = Type.Optional;
const closed = { additionalProperties: false } as const;
const nullable = <T extends TSchema>(s: T) => Type.Union([s, Type.Null()]);

/** A resource name: 1–64 of letters, digits, - and _ (what the store keys and the CLI prints). */
export const nameOf = (what: string, description?: string) =>
  Type.String({
    minLength: 1,
    maxLength: 64,
    pattern: '^[A-Za-z0-9_-]+$',
    'x-pattern-text': `${what} names use 1–64 of letters, digits, - and _`,
    ...(description ? { description } : {}),
  });

const envMap = (description: string) => recordOf(Type.String({ maxLength: 4096 }), { description });
const envPatch = (description: string) =>
  recordOf(nullable(Type.String({ maxLength: 4096 })), { description: `${description} (null deletes)` }); // prettier-ignore

/** The package: a zip (base64), files by path, or one source file. */
export const CodeSchema = Type.Union(
  [
    Type.Object({ zipBase64: Type.String({ minLength: 1 }) }, closed),
    Type.Object({ files: recordOf(Type.String()) }, closed),
    Type.Object(
      { source: Type.String({ minLength: 1 }), filename: opt(Type.String({ minLength: 1, maxLength: 255 })) },
      closed,
    ),
  ],
  {
    description: 'the package: a zip (base64), files by path, or one source file',
    'x-union-text': 'must be { "zipBase64": ... }, { "files": { path: text } } or { "source": ..., "filename"? }',
  },
);
export type CodeInput = Static<typeof CodeSchema>;

/** The settings fields shared by create and PATCH (CloudFront/Lambda ranges: spec 4.1). */
const settings = {
  handler: opt(Type.String({ minLength: 3, maxLength: 128, pattern: '^[\\w./-]+\\.[A-Za-z_$][\\w$]*$', 'x-pattern-text': 'use file.export, e.g. index.handler' })), // prettier-ignore
  memoryMB: opt(nullable(Type.Integer({ minimum: 128, maximum: 10_240 }))),
  timeoutMs: opt(nullable(Type.Integer({ minimum: 1, maximum: 900_000 }))),
  profile: opt(nullable(literals(['cloudfront', 'relaxed'] as const))),
  concurrency: opt(nullable(Type.Integer({ minimum: 1, maximum: 1000 }))),
  kvs: opt(nullable(nameOf('KeyValueStore', 'a KeyValueStore name (cloudfront-js-2.0 only)'))),
  egress: opt(
    nullable(
      Type.Object(
        { allow: Type.Array(Type.String({ maxLength: 300 }), { maxItems: MAX_EGRESS_ENTRIES }) },
        { ...closed, description: 'where outbound requests may go beyond public addresses: { "allow": [host, address or CIDR block, each with an optional :port] } (docs/security.md); null: public addresses only' }, // prettier-ignore
      ),
    ),
  ),
};

export const FunctionCreateSchema = Type.Object(
  {
    name: nameOf('function'),
    // Verge's runtimes or AWS's identifiers (nodejs20.x, python3.12), stored as what Verge runs.
    runtime: literals(RUNTIME_NAMES),
    ...settings,
    env: opt(envMap('environment variables: name → value')),
    secrets: opt(envMap('secret environment variables (encrypted at rest, shown as ***): name → value')),
    code: CodeSchema,
  },
  closed,
);
export type FunctionCreate = Static<typeof FunctionCreateSchema>;

export const FunctionPatchSchema = Type.Object(
  { ...settings, env: opt(envPatch('environment variables: name → value')), secrets: opt(envPatch('secrets: name → value')) }, // prettier-ignore
  closed,
);
export type FunctionPatch = Static<typeof FunctionPatchSchema>;

export const FunctionCodeSchema = Type.Object({ code: CodeSchema }, closed);
export const PublishSchema = Type.Object({ description: opt(Type.String({ maxLength: 256 })) }, closed);

export const FunctionTestSchema = Type.Object(
  {
    eventType: literals(EVENT_TYPES),
    // An object (checked by the test runner's event parser); typed unknown, as callers build it loosely.
    event: opt(
      Type.Unsafe<unknown>(
        recordOf(Type.Unknown(), {
          description:
            "a whole event ({Records}), AWS's CloudFront Functions test event ({version, context, viewer, request, response?}) or {request?, response?} merged into a sample event",
        }),
      ),
    ),
    version: opt(
      Type.Union([
        Type.String({ pattern: '^(\\d+|\\$LATEST)$', 'x-pattern-text': 'a version number or $LATEST' }),
        Type.Integer({ minimum: 1 }),
      ]),
    ),
  },
  closed,
);

export const KvsCreateSchema = Type.Object(
  { name: nameOf('KeyValueStore'), data: opt(recordOf(Type.String())) },
  closed,
);
export const KvsValueSchema = Type.Object({ value: Type.String() }, closed);

const COMMENT = Type.String({ maxLength: 128 });
export const PublicKeyCreateSchema = Type.Object(
  {
    name: nameOf('Public key'),
    encodedKey: Type.String({ minLength: 1, maxLength: 4096, description: 'PEM' }),
    comment: opt(COMMENT),
  },
  closed,
);
export const KeyGroupBodySchema = Type.Object(
  {
    name: nameOf('Key group'),
    comment: opt(COMMENT),
    publicKeyIds: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 5 }),
  },
  closed,
);
export type KeyGroupBody = Static<typeof KeyGroupBodySchema>;

export const TriggerCreateSchema = Type.Object(
  {
    distributionId: Type.String({ minLength: 1 }),
    behavior: Type.String({ minLength: 1, description: 'a cache behavior pathPattern, or "default"' }),
    eventType: literals(EVENT_TYPES),
    function: Type.String({ minLength: 3, description: 'name:version (a published version)' }),
    includeBody: opt(Type.Boolean()),
    canary: opt(
      Type.Object(
        {
          percent: Type.Integer({ description: '1-99: the share of viewers that run the new version at first' }),
          steps: opt(Type.Array(Type.Integer(), { description: 'increasing shares ending at 100' })),
          stepIntervalSeconds: opt(Type.Number({ description: 'time between steps (default 300)' })),
          autoRollback: opt(Type.Boolean({ description: 'put the previous version back when the new one is worse' })),
        },
        { ...closed, description: 'run `function` for this share of viewers next to the version already attached (docs/api.md, Canary triggers)' }, // prettier-ignore
      ),
    ),
  },
  closed,
);

export const TokenCreateSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    kind: literals(['admin', 'edge'] as const),
    pop: opt(nameOf('PoP', 'the PoP an edge token is bound to (edge tokens only)')),
  },
  closed,
);

export const StagingRouteSchema = Type.Object(
  {
    header: opt(Type.Object({ name: Type.String(), value: Type.String() }, closed)),
    weight: opt(
      Type.Object(
        {
          percent: Type.Integer(),
          stickySeconds: opt(Type.Integer({ description: "keep each viewer's side in a cookie idle at most this long (300-3600)" })), // prettier-ignore
        },
        closed,
      ),
    ),
  },
  closed,
);

export const RollbackSchema = Type.Object({ version: Type.Integer({ minimum: 1 }) }, closed);
export const DistributionRollbackSchema = Type.Object(
  { to: Type.Integer({ minimum: 1, description: 'a snapshot version (see /history)' }) },
  closed,
);

export const InvalidationCreateSchema = Type.Object(
  {
    distributionId: Type.String({ minLength: 1 }),
    paths: opt(Type.Array(Type.String())),
    tags: opt(Type.Array(Type.String())),
  },
  closed,
);

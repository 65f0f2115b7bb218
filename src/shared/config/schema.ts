/**
 * @module shared/config/schema
 * The distribution config as users write it, written once as TypeBox schemas: the TypeScript
 * types are `Static<>` of them (types.ts), Ajv checks input against them (validate.ts, on the
 * control plane, in the edge's loader and in `verge apply`), and the OpenAPI document shows
 * them. Field names follow CloudFront's API in camelCase; `docs/configuration.md` documents
 * every field. A schema says what one field may hold; rules that relate fields to each other
 * (references, uniqueness, CloudFront's cross-field limits) are in `rules*.ts`, because JSON
 * Schema cannot say "an origin with this id exists".
 */
import { Type } from 'typebox';
import { recordOf } from '../schema/record.js';
import { EVENT_TYPES } from '../lambda-edge/events.js';
import { COUNTRY_CODES } from './country-codes.js';
import { ERROR_RESPONSE_CODES, FAILOVER_STATUS_CODES, LIMITS } from './defaults.js';
import { RUNTIME_NAMES } from './functions.js';
import {
  CachePolicySchema,
  OriginRequestPolicySchema,
  ResponseHeadersPolicySchema,
  literals,
  policyRef,
} from './schema-policies.js';

const str = (opts: Record<string, unknown>) => Type.String(opts);
const int = (minimum: number, maximum: number, description?: string) =>
  Type.Integer({ minimum, maximum, ...(description ? { description } : {}) });
const opt = Type.Optional;
const closed = { additionalProperties: false } as const;

/** Origin and origin group ids. */
export const ORIGIN_ID = str({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._~-]*$', 'x-pattern-text': 'use letters, digits and . _ ~ - (starting with a letter or digit)' }); // prettier-ignore
/** A DNS name, an IPv4 address, or an IPv6 literal (with or without brackets). */
export const HOST_PATTERN =
  '^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.?|\\[?[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\\]?)$';
const HOST = str({ minLength: 1, maxLength: 253, pattern: HOST_PATTERN, 'x-pattern-text': 'must be a host name or an IP address, without scheme, port or path' }); // prettier-ignore
/** Aliases are exact host names (no wildcards, no port); lower-cased when compiled. */
const ALIAS = str({ minLength: 1, maxLength: 253, pattern: HOST_PATTERN, 'x-pattern-text': 'must be a host name or IP address without scheme, port, path or wildcard' }); // prettier-ignore
/** Used in cache keys, logs and file names: keep it plain. */
export const DISTRIBUTION_ID = str({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9_-]*$', 'x-pattern-text': 'use letters, digits, - and _ (starting with a letter or digit)' }); // prettier-ignore
/** Key group and public key ids are what signers put in `Key-Pair-Id`: keep them URL- and cookie-safe. */
const KEY_ID = str({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$', 'x-pattern-text': 'use letters, digits, - and _' }); // prettier-ignore
const [ca, ct, rt, kt] = [LIMITS.connectionAttempts, LIMITS.connectionTimeoutSec, LIMITS.readTimeoutSec, LIMITS.keepaliveTimeoutSec]; // prettier-ignore

/** Keys for origin access control: written by the control plane into snapshots, never by users (rules.ts). */
export const OacKeysSchema = Type.Object(
  {
    accessKeyId: str({ minLength: 1 }),
    secretAccessKey: str({ minLength: 1 }),
    sessionToken: opt(str({ minLength: 1 })),
  },
  closed,
);

/**
 * CloudFront's origin access control: origin requests signed with SigV4 for an S3-compatible
 * origin (edge/origin/sigv4.ts). The keys are a named credential set (origin-access.ts).
 */
export const OriginAccessControlSchema = Type.Object(
  {
    signingBehavior: literals(['always', 'no-override', 'never'] as const),
    signingProtocol: opt(literals(['sigv4'] as const)),
    /** Only `s3` is signed; the AWS service types are refused by name (rules.ts). */
    originType: opt(literals(['s3', 'mediastore', 'mediapackagev2', 'lambda'] as const)),
    /** The bucket's region, in the signature's scope. */
    region: str({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9-]+$', 'x-pattern-text': 'must be a region name such as us-east-1' }), // prettier-ignore
    /** A credential set: VERGE_OAC_<NAME>_ACCESS_KEY_ID / _SECRET_ACCESS_KEY / _SESSION_TOKEN. */
    credentials: str({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9_-]*$', 'x-pattern-text': 'must name a credential set (letters, digits, - and _): its keys come from the environment as VERGE_OAC_<NAME>_ACCESS_KEY_ID and VERGE_OAC_<NAME>_SECRET_ACCESS_KEY, never from the config' }), // prettier-ignore
    /** Set by the control plane in the snapshots it sends PoPs; refused from the API (control/domain/distributions.ts). */
    keys: opt(OacKeysSchema),
  },
  closed,
);

/** A custom (HTTP) origin, or a directory served like an S3 bucket when `bucket` is set. */
export const OriginSchema = Type.Object(
  {
    id: ORIGIN_ID,
    originPath: opt(str({ maxLength: LIMITS.originPathLength })),
    /** Header name → value; names, CloudFront's deny-list and the total length: rules.ts. */
    customHeaders: opt(recordOf(str({ maxLength: LIMITS.customHeaderValueLength }))),
    /** A directory (relative to the config file's folder) served as an S3-style origin. */
    bucket: opt(Type.Object({ path: str({ minLength: 1 }) }, closed)),
    domainName: opt(HOST),
    port: opt(int(1, 65535)),
    protocol: opt(literals(['http', 'https'] as const)),
    connectionAttempts: opt(int(ca[0], ca[1])),
    connectionTimeout: opt(int(ct[0], ct[1], 'seconds')),
    readTimeout: opt(int(rt[0], rt[1], 'seconds')),
    keepaliveTimeout: opt(int(kt[0], kt[1], 'seconds')),
    /** CloudFront's OAC: sign origin requests with SigV4 (S3-compatible origins). */
    originAccessControl: opt(OriginAccessControlSchema),
  },
  closed,
);
/** The fields a bucket origin may not have. */
export const CUSTOM_ORIGIN_FIELDS = ['domainName', 'port', 'protocol', 'connectionAttempts', 'connectionTimeout', 'readTimeout', 'keepaliveTimeout'] as const; // prettier-ignore

export const OriginGroupSchema = Type.Object(
  {
    id: ORIGIN_ID,
    /** [primaryOriginId, secondaryOriginId]. */
    members: Type.Array(str({ minLength: 1 }), { minItems: 2, maxItems: 2 }),
    failoverCriteria: Type.Object(
      {
        statusCodes: Type.Array(literals(FAILOVER_STATUS_CODES), {
          minItems: 1,
          maxItems: FAILOVER_STATUS_CODES.length,
        }),
      },
      closed,
    ),
  },
  closed,
);

const EGRESS_TEXT = 'must be an object: { "allow": ["host", "10.0.0.0/8", "origin.internal:8443", ...] }';
/** Where a function's outbound requests may go beyond public addresses (docs/security.md; entries: egress.ts). */
export const EgressSchema = Type.Object(
  { allow: Type.Array(Type.String(), { maxItems: 64 }) },
  { additionalProperties: false, 'x-type-text': EGRESS_TEXT },
);

export const FunctionSchema = Type.Object(
  {
    /** A file, folder or .zip, relative to the config file's folder. */
    path: str({ minLength: 1 }),
    handler: opt(str({ minLength: 3, maxLength: 128, pattern: '^[\\w./-]+\\.[A-Za-z_$][\\w$]*$', 'x-pattern-text': 'use file.export, e.g. index.handler' })), // prettier-ignore
    /** One of Verge's runtimes or an AWS identifier (`nodejs20.x`, `python3.12`; RUNTIME_NAMES). */
    runtime: opt(literals(RUNTIME_NAMES)),
    name: opt(str({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', 'x-pattern-text': 'use letters, digits, - and _' })), // prettier-ignore
    /** Name → value; names are checked in rules.ts (letters, digits and _, starting with a letter). */
    env: opt(recordOf(Type.String())),
    secretNames: opt(Type.Array(str({ minLength: 1 }), { maxItems: 100 })),
    profile: opt(literals(['cloudfront', 'relaxed'] as const)),
    timeoutMs: opt(int(1, LIMITS.maxTimeoutMs)),
    memoryMB: opt(int(LIMITS.minMemoryMB, LIMITS.maxMemoryMB)),
    /** Isolates per PoP for this function (requests beyond it are throttled: LambdaLimitExceeded). */
    concurrency: opt(int(1, 1000)),
    /** The published version number (managed mode); static mode uses `$LATEST`. */
    version: opt(str({ minLength: 1, maxLength: 16, pattern: '^(\\d+|\\$LATEST)$', 'x-pattern-text': 'use a version number or $LATEST' })), // prettier-ignore
    /** CloudFront Functions (js-2.0) KeyValueStore: an id and a JSON file of key → value. */
    kvs: opt(
      Type.Object(
        {
          id: str({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', 'x-pattern-text': 'KeyValueStore names use 1–64 of [a-zA-Z0-9-_] (spec 4.2)' }), // prettier-ignore
          path: opt(str({ minLength: 1 })),
        },
        closed,
      ),
    ),
    egress: opt(EgressSchema),
  },
  closed,
);

export const FunctionAssociationSchema = Type.Object(
  {
    eventType: literals(EVENT_TYPES),
    /** A path (string form) or the full description. */
    function: Type.Union([str({ minLength: 1 }), FunctionSchema]),
    includeBody: opt(Type.Boolean()),
    /**
     * A canary arm: this entry runs, instead of the event's plain entry, for `percent` of viewers
     * (each kept on one side by a hash of its id and `id`; edge/pipeline/canary-arm.ts). At most
     * one per event, next to a plain entry for the same event. The control plane writes it for a
     * canary trigger.
     */
    canary: opt(
      Type.Object(
        {
          id: str({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', 'x-pattern-text': 'letters, digits, _ and -' }), // prettier-ignore
          percent: int(1, 99),
        },
        closed,
      ),
    ),
  },
  closed,
);

const METHODS = Type.Array(Type.String(), { minItems: 1, maxItems: 7 });

const behaviorFields = {
  targetOriginId: str({ minLength: 1 }),
  viewerProtocolPolicy: opt(literals(['allow-all', 'redirect-to-https', 'https-only'] as const)),
  /** Compared as a set with CloudFront's three (ALLOWED_METHOD_SETS). */
  allowedMethods: opt(METHODS),
  cachedMethods: opt(METHODS),
  compress: opt(Type.Boolean()),
  /** A managed policy name or ID, or an inline policy. */
  cachePolicy: opt(policyRef(CachePolicySchema)),
  originRequestPolicy: opt(policyRef(OriginRequestPolicySchema)),
  responseHeadersPolicy: opt(policyRef(ResponseHeadersPolicySchema)),
  // Each event may carry its canary arm as a second entry, so twice the events.
  functionAssociations: opt(Type.Array(FunctionAssociationSchema, { maxItems: EVENT_TYPES.length * 2 })),
  /** Key group ids: requests must carry a signed URL or signed cookies (CloudFront's TrustedKeyGroups). */
  trustedKeyGroups: opt(Type.Array(str({ minLength: 1 }), { maxItems: LIMITS.keyGroupsPerBehavior })),
};

/** The behavior fields both kinds share (the type of a default behavior). */
export const BehaviorSchema = Type.Object(behaviorFields, closed);

export const DefaultCacheBehaviorSchema = Type.Object(
  {
    pathPattern: opt(
      Type.Never({ 'x-never-text': 'the default cache behavior has no pathPattern (it is always "*" and evaluated last)' }), // prettier-ignore
    ),
    ...behaviorFields,
  },
  closed,
);

/** Spec 7.1: ≤ 255 characters of `A-Z a-z 0-9 _ - . * $ / ~ " ' @ : + &`, plus the `?` wildcard. */
export const CacheBehaviorSchema = Type.Object(
  {
    pathPattern: str({ minLength: 1, maxLength: LIMITS.pathPatternLength, pattern: `^[A-Za-z0-9_.*$/~"'@:+&?-]+$`, 'x-pattern-text': `allowed characters are A-Z a-z 0-9 _ - . * ? $ / ~ " ' @ : + &` }), // prettier-ignore
    ...behaviorFields,
  },
  closed,
);

export const CustomErrorResponseSchema = Type.Object(
  {
    errorCode: literals(ERROR_RESPONSE_CODES),
    responsePagePath: opt(str({ minLength: 1, maxLength: 4000, pattern: '^/\\S*$', 'x-pattern-text': 'must start with "/" and contain no spaces' })), // prettier-ignore
    responseCode: opt(literals([200, ...ERROR_RESPONSE_CODES])),
    /** Seconds (CloudFront's ErrorCachingMinTTL). */
    errorCachingMinTTL: opt(int(0, 31_536_000, 'seconds')),
  },
  closed,
);

export const RESTRICTION_TYPES = ['allowlist', 'blocklist', 'none', 'whitelist', 'blacklist'] as const;

/** CloudFront's `Restrictions`: geographic restrictions for the whole distribution. */
export const RestrictionsSchema = Type.Object(
  {
    geoRestriction: Type.Object(
      {
        /** `whitelist` / `blacklist` are accepted as CloudFront's API spells them. */
        restrictionType: literals(RESTRICTION_TYPES),
        /** ISO 3166-1 alpha-2 country codes (CloudFront's `Items`); checked in rules.ts. */
        locations: opt(Type.Array(str({ minLength: 1 }), { maxItems: COUNTRY_CODES.size })),
      },
      closed,
    ),
  },
  closed,
);

export const PublicKeySchema = Type.Object(
  {
    /** The `Key-Pair-Id` signers put in URLs and cookies (CloudFront's public key ID, e.g. `K2JCJMDEHXQW5F`). */
    id: KEY_ID,
    name: opt(str({ minLength: 1, maxLength: 128 })),
    /** The RSA 2048-bit public key, PEM (`-----BEGIN PUBLIC KEY-----`). */
    encodedKey: str({ minLength: 1, maxLength: 4096 }),
  },
  closed,
);

/** A key group: the public keys signed URLs and cookies may be verified with (CloudFront's KeyGroup). */
export const KeyGroupSchema = Type.Object(
  {
    id: KEY_ID,
    name: opt(str({ minLength: 1, maxLength: 128 })),
    comment: opt(str({ maxLength: 128 })),
    publicKeys: Type.Array(PublicKeySchema, { minItems: 1, maxItems: LIMITS.publicKeysPerKeyGroup }),
  },
  closed,
);

/** CloudFront's SingleWeightConfig allows at most 0.15 of the traffic. */
export const MAX_STAGING_WEIGHT = 15;
export const STAGING_HEADER_PREFIX = 'aws-cf-cd-';
/** CloudFront's SessionStickinessConfig IdleTTL: 300–3600 seconds. */
export const STICKY_SECONDS = [300, 3600] as const;
/**
 * The cookie that keeps a weight-routed viewer on one side. CloudFront sets a cookie for session
 * stickiness but does not document its name; Verge's carries CloudFront's `aws-cf-cd-` prefix.
 */
export const STICKY_COOKIE = 'aws-cf-cd-session';

/** CloudFront's ContinuousDeploymentPolicy, in the primary's config. */
export const ContinuousDeploymentSchema = Type.Object(
  {
    stagingDistributionId: str({ minLength: 1, maxLength: 64 }),
    /** Requests carrying this header (name starting `aws-cf-cd-`) with this value go to staging. */
    header: opt(
      Type.Object(
        {
          name: str({ maxLength: 256, pattern: "^[Aa][Ww][Ss]-[Cc][Ff]-[Cc][Dd]-[A-Za-z0-9!#$%&'*+.^_`|~-]+$", 'x-pattern-text': `must start with "${STAGING_HEADER_PREFIX}" (CloudFront's rule), e.g. aws-cf-cd-staging` }), // prettier-ignore
          value: str({ minLength: 1, maxLength: 1024 }),
        },
        closed,
      ),
    ),
    /**
     * This share of viewers (1–15%) goes to staging, each viewer kept on one side (over 15:
     * rules.ts): by a cookie idle for at most `stickySeconds` when set (CloudFront's session
     * stickiness), else by its address.
     */
    weight: opt(
      Type.Object(
        {
          percent: Type.Integer({ minimum: 1 }),
          stickySeconds: opt(int(STICKY_SECONDS[0], STICKY_SECONDS[1], "seconds a viewer's session lasts without requests (CloudFront's IdleTTL)")), // prettier-ignore
        },
        closed,
      ),
    ),
  },
  closed,
);

export const DistributionSchema = Type.Object(
  {
    id: DISTRIBUTION_ID,
    /** Host names the distribution answers (CloudFront's alternate domain names / CNAMEs). */
    aliases: opt(Type.Array(ALIAS, { maxItems: LIMITS.aliases })),
    enabled: opt(Type.Boolean()),
    comment: opt(str({ maxLength: 128 })),
    /** `<id>.verge.local` by default: `distributionDomainName` and the cache key's domain. */
    domainName: opt(ALIAS),
    origins: Type.Array(OriginSchema, { minItems: 1, maxItems: LIMITS.origins }),
    originGroups: opt(Type.Array(OriginGroupSchema, { maxItems: LIMITS.originGroups })),
    /** Served for a request for `/` only (CloudFront's DefaultRootObject, e.g. `index.html`, no leading `/`). */
    defaultRootObject: opt(str({ minLength: 1, maxLength: LIMITS.defaultRootObjectLength, pattern: `^[A-Za-z0-9_.*$~"'&-][A-Za-z0-9_.*$/~"'&-]*$`, 'x-pattern-text': `use A-Z a-z 0-9 _ - . * $ / ~ " ' & and do not start with "/" (e.g. "index.html")` })), // prettier-ignore
    restrictions: opt(RestrictionsSchema),
    /**
     * Key groups the behaviors' `trustedKeyGroups` name. Written by hand in static mode; in managed
     * mode the control plane fills it from its key-group store when it compiles a snapshot.
     */
    keyGroups: opt(Type.Array(KeyGroupSchema, { maxItems: LIMITS.keyGroups })),
    defaultCacheBehavior: DefaultCacheBehaviorSchema,
    cacheBehaviors: opt(Type.Array(CacheBehaviorSchema, { maxItems: LIMITS.cacheBehaviors })),
    customErrorResponses: opt(Type.Array(CustomErrorResponseSchema, { maxItems: ERROR_RESPONSE_CODES.length })),
    /** A staging distribution (CloudFront continuous deployment): no aliases, reached through its primary. */
    staging: opt(Type.Boolean()),
    /** On a primary: which staging distribution some viewers go to, and which viewers. */
    continuousDeployment: opt(ContinuousDeploymentSchema),
  },
  closed,
);

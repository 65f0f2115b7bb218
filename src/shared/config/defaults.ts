/**
 * @module shared/config/defaults
 * Defaults and limits of the distribution config, in one place: the validator enforces the
 * limits, the edge compiler applies the defaults, and docs/configuration.md repeats both.
 * Limits are CloudFront's current quotas (spec 4.3) unless a comment says otherwise.
 */

export const DEFAULTS = {
  enabled: true,
  /** CloudFront's console default is on (the API default is off); we follow the console. */
  compress: true,
  viewerProtocolPolicy: 'allow-all',
  allowedMethods: ['GET', 'HEAD'],
  cachedMethods: ['GET', 'HEAD'],
  /** The console's default for a new distribution. */
  cachePolicy: 'CachingOptimized',
  protocol: 'http',
  connectionAttempts: 3,
  connectionTimeoutSec: 10,
  readTimeoutSec: 30,
  keepaliveTimeoutSec: 5,
  errorCachingMinTTL: 10,
  functionRuntime: 'nodejs',
  functionVersion: '$LATEST',
  /** Folder and .zip packages: Lambda's `index.handler`; a single file gets `<basename>.handler`. */
  folderHandler: 'index.handler',
  domainSuffix: '.verge.local',
} as const;

export const LIMITS = {
  cacheBehaviors: 75,
  origins: 100,
  originGroups: 10,
  pathPatternLength: 255,
  originPathLength: 255,
  customHeadersPerOrigin: 10,
  customHeaderNameLength: 256,
  customHeaderValueLength: 1783,
  customHeadersTotalLength: 10240,
  /** Headers, cookies and query strings per cache or origin request policy, each. */
  policyListItems: 10,
  /** All names in one policy's lists together. */
  policyNamesTotalLength: 1024,
  responseCustomHeaders: 10,
  contentSecurityPolicyLength: 1783,
  aliases: 100,
  /** Lambda's timeout/memory envelope; the runtime applies the profile on top. */
  maxTimeoutMs: 900_000,
  minMemoryMB: 128,
  maxMemoryMB: 10_240,
  connectionAttempts: [1, 3],
  connectionTimeoutSec: [1, 10],
  readTimeoutSec: [1, 120],
  keepaliveTimeoutSec: [1, 120],
  defaultRootObjectLength: 255,
  /** Key groups per cache behavior, public keys per key group, key groups per account (spec: CloudFront quotas). */
  keyGroupsPerBehavior: 4,
  publicKeysPerKeyGroup: 5,
  keyGroups: 10,
  publicKeys: 10,
} as const;

/** The three method sets CloudFront accepts for `allowedMethods` (spec 7.1). */
export const ALLOWED_METHOD_SETS: readonly (readonly string[])[] = [
  ['GET', 'HEAD'],
  ['GET', 'HEAD', 'OPTIONS'],
  ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'],
];
export const CACHED_METHOD_SETS: readonly (readonly string[])[] = [
  ['GET', 'HEAD'],
  ['GET', 'HEAD', 'OPTIONS'],
];

/** Origin-group failover statuses (spec 7.7). */
export const FAILOVER_STATUS_CODES: readonly number[] = [400, 403, 404, 416, 500, 502, 503, 504];
/** Statuses a custom error response may be configured for (spec 7.8). */
export const ERROR_RESPONSE_CODES: readonly number[] = [400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504];

/**
 * Header names an origin's customHeaders may not set: spec 3.1's disallowed list (checked with
 * `isDisallowedHeader`) plus CloudFront's "custom headers CloudFront can't add to origin
 * requests" [DG23 add-origin-custom-headers.md], lower-case.
 */
export const ORIGIN_CUSTOM_HEADER_DENYLIST: readonly string[] = [
  'cache-control',
  'connection',
  'content-length',
  'cookie',
  'host',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'max-forwards',
  'pragma',
  'proxy-authorization',
  'proxy-connection',
  'range',
  'request-range',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'via',
  'x-real-ip',
];
/** Prefixes CloudFront reserves for itself in origin custom headers. */
export const ORIGIN_CUSTOM_HEADER_DENY_PREFIXES: readonly string[] = ['x-amz-', 'x-edge-'];

/** Headers a response headers policy may not remove (spec 7.9), lower-case; `*` ends a prefix. */
export const NON_REMOVABLE_RESPONSE_HEADERS: readonly string[] = [
  'connection',
  'content-encoding',
  'content-length',
  'expect',
  'host',
  'keep-alive',
  'proxy-*',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'via',
  'warning',
  'x-accel-*',
  'x-amz-cf-*',
  'x-amzn-*',
  'x-cache',
  'x-edge-*',
  'x-forwarded-proto',
  'x-real-ip',
];

/** Allowed Referrer-Policy values for a response headers policy (spec 7.9). */
export const REFERRER_POLICIES: readonly string[] = [
  'no-referrer',
  'no-referrer-when-downgrade',
  'origin',
  'origin-when-cross-origin',
  'same-origin',
  'strict-origin',
  'strict-origin-when-cross-origin',
  'unsafe-url',
];
export const CORS_METHODS: readonly string[] = ['GET', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'ALL'];

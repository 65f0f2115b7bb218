/**
 * @module edge/config/plan
 * The compiled, immutable form of the distribution configs that the pipeline reads on every
 * request. `compile.ts` builds it off the hot path from validated configs; the server swaps it
 * whole, and each request keeps the plan it started with. Empty hook lists are `null` so the
 * hot path tests one field.
 */
import type { KeyObject } from 'node:crypto';
import type { DistributionConfig, OacKeys } from '../../shared/config/types.js';
import type { EventType, FunctionSource } from '../../shared/lambda-edge/index.js';

export interface OriginPlan {
  id: string;
  kind: 'custom' | 'bucket';
  /** Custom origins: host name or IP. Bucket origins: a display name (`<id>.bucket.verge`). */
  domainName: string;
  port: number;
  protocol: 'http' | 'https';
  /** '' or a path starting with `/` and not ending with `/`. */
  originPath: string;
  /** Added to every origin request (header name as written, value). */
  customHeaders: Array<[string, string]>;
  connectionAttempts: number;
  connectionTimeoutMs: number;
  readTimeoutMs: number;
  keepaliveTimeoutMs: number;
  /** Bucket origins: the absolute directory served. */
  bucketPath?: string;
  /** Origin access control: origin requests signed with SigV4 (origin/sigv4.ts). */
  accessControl?: OriginAccessPlan;
}

/** CloudFront's OAC for one origin, its credentials resolved (never from function code). */
export interface OriginAccessPlan {
  signingBehavior: 'always' | 'no-override' | 'never';
  region: string;
  service: 's3';
  /** The credential set's name (`originAccessControl.credentials`). */
  credentials: string;
  /** Not enumerable: never serialised with the plan. */
  readonly keys: OacKeys;
}

export interface OriginGroupPlan {
  id: string;
  primary: OriginPlan;
  secondary: OriginPlan;
  /** Statuses from the primary that trigger failover (subset of 400,403,404,416,500,502,503,504). */
  statusCodes: ReadonlySet<number>;
}

export type ListBehavior = 'none' | 'whitelist' | 'allExcept' | 'all';
export interface ListPolicy {
  behavior: ListBehavior;
  /** Lower-case for headers; as written for cookies and query strings. */
  items: readonly string[];
}

export interface CachePolicyPlan {
  name: string;
  minTTL: number;
  defaultTTL: number;
  maxTTL: number;
  /** Headers in the cache key: 'none' or 'whitelist' only (spec 7.2). */
  headers: ListPolicy;
  cookies: ListPolicy;
  queryStrings: ListPolicy;
  enableAcceptEncodingGzip: boolean;
  enableAcceptEncodingBrotli: boolean;
}

export interface OriginRequestPolicyPlan {
  name: string;
  /** `allViewer`: every viewer header; `allViewerAndCloudFront`: plus every CloudFront-* header. */
  headers: {
    behavior: 'none' | 'whitelist' | 'allViewer' | 'allViewerAndCloudFront' | 'allExcept';
    items: readonly string[];
  };
  cookies: ListPolicy;
  queryStrings: ListPolicy;
}

export interface CorsPlan {
  allowCredentials: boolean;
  allowHeaders: readonly string[];
  allowMethods: readonly string[];
  allowOrigins: readonly string[];
  exposeHeaders: readonly string[];
  maxAgeSec?: number;
  originOverride: boolean;
}

export interface ResponseHeadersPolicyPlan {
  name: string;
  cors?: CorsPlan;
  /** Security headers, each with its value and override flag (spec 7.9). */
  securityHeaders: Array<{ header: string; value: string; override: boolean }>;
  customHeaders: Array<{ header: string; value: string; override: boolean }>;
  /** Lower-case names to remove (removal happens before additions). */
  removeHeaders: readonly string[];
  serverTiming?: { enabled: boolean; samplingRate: number };
}

export interface FunctionAssociationPlan {
  eventType: EventType;
  includeBody: boolean;
  source: FunctionSource;
  /** A canary trigger: `arm` runs instead of this one for `percent` of viewers (edge/pipeline/canary-arm). */
  canary: CanaryPlan | null;
}

export interface CanaryPlan {
  /** Stable for the canary's life: the metrics label and the hash salt. */
  id: string;
  percent: number;
  arm: FunctionAssociationPlan;
}

export type HookPlan = { readonly [E in EventType]: FunctionAssociationPlan | null };

export interface BehaviorPlan {
  /** `*` for the default behavior. */
  pathPattern: string;
  /** Case-sensitive CloudFront path matching (spec 7.1), on the path only. */
  matches(path: string): boolean;
  target: { kind: 'origin'; origin: OriginPlan } | { kind: 'group'; group: OriginGroupPlan };
  viewerProtocolPolicy: 'allow-all' | 'redirect-to-https' | 'https-only';
  allowedMethods: ReadonlySet<string>;
  cachedMethods: ReadonlySet<string>;
  compress: boolean;
  cachePolicy: CachePolicyPlan;
  originRequestPolicy: OriginRequestPolicyPlan | null;
  responseHeadersPolicy: ResponseHeadersPolicyPlan | null;
  /** Per event, the function to run, or null. `anyFunctions` is false when all four are null. */
  hooks: HookPlan;
  anyFunctions: boolean;
  /**
   * Public keys of the behavior's trusted key groups by id (`Key-Pair-Id`); null when the
   * behavior does not require signed URLs or cookies.
   */
  trustedKeys: ReadonlyMap<string, KeyObject> | null;
}

/** Geographic restriction of a distribution; null in the plan when there is none. */
export interface GeoRestrictionPlan {
  type: 'allowlist' | 'blocklist';
  countries: ReadonlySet<string>;
}

export interface CustomErrorResponsePlan {
  errorCode: number;
  /** Path of the page to fetch through the matching behavior, or undefined to keep the origin body. */
  responsePagePath?: string;
  /** Status sent to the viewer (defaults to errorCode). */
  responseCode?: number;
  /** How long the error is cached, in seconds (CloudFront's ErrorCachingMinTTL, default 10). */
  errorCachingMinTTL: number;
}

export interface DistributionPlan {
  id: string;
  /** `<id>.verge.local` unless configured: the cache key's domain and `distributionDomainName`. */
  domainName: string;
  aliases: readonly string[];
  enabled: boolean;
  comment: string;
  origins: ReadonlyMap<string, OriginPlan>;
  originGroups: ReadonlyMap<string, OriginGroupPlan>;
  /** Ordered behaviors, the default (`*`) last. */
  behaviors: readonly BehaviorPlan[];
  customErrorResponses: ReadonlyMap<number, CustomErrorResponsePlan>;
  /** The path `/` is replaced with (`/index.html`), or null. */
  defaultRootObject: string | null;
  geoRestriction: GeoRestrictionPlan | null;
  /** A staging distribution: reached through its primary's routing (and its own domain name). */
  staging: boolean;
  /** On a primary: which viewers go to its staging distribution (CloudFront continuous deployment). */
  continuousDeployment: ContinuousDeploymentPlan | null;
  /** The first behavior whose pattern matches the path (the default always matches). */
  behaviorFor(path: string): BehaviorPlan;
}

export interface ContinuousDeploymentPlan {
  stagingId: string;
  /** Lower-case header name and the value that selects staging; null for weight routing. */
  header: { name: string; value: string } | null;
  /** 0–15: the share of viewers (by a hash of their address, so each stays on one side). */
  weightPercent: number;
  /**
   * Weight routing with session stickiness: the cookie's idle lifetime in seconds, and the token
   * that ties a cookie to this policy (a changed policy starts every session afresh, as on
   * CloudFront). Null without stickiness.
   */
  sticky: { seconds: number; token: string } | null;
}

export interface EdgePlan {
  /** A content hash of the source configs; changes whenever anything changes. */
  version: string;
  distributions: readonly DistributionPlan[];
  /** Lower-case host (without port) to distribution. */
  byHost: ReadonlyMap<string, DistributionPlan>;
  /** Distribution id to distribution (staging routing looks the staging one up here). */
  byId: ReadonlyMap<string, DistributionPlan>;
  /**
   * What it was compiled from, with the credential sets it looked up, so another process (a
   * `--workers N` worker) can compile the same plan: compiled plans do not cross IPC.
   */
  sources?: readonly PlanSource[];
}

export interface PlanSource {
  config: DistributionConfig;
  baseDir: string;
  /** The credential sets the config named, as found; a name found nowhere is absent. */
  credentials: { where: string; keys: Record<string, OacKeys> } | null;
}

/**
 * @module shared/config/types
 * The distribution config as users write it: one JSON document per distribution, field names
 * following CloudFront's API in camelCase. These are the *input* shapes (optional fields stay
 * optional); `defaults.ts` holds the defaults and `edge/config/compile.ts` turns a validated
 * config into the edge plan. `docs/configuration.md` documents every field.
 */
import type { EventType, FunctionRuntimeKind, LimitProfileName } from '../lambda-edge/index.js';
import type { EgressConfig } from './egress.js';

export interface DistributionConfig {
  id: string;
  /** Host names the distribution answers (CloudFront's alternate domain names / CNAMEs). */
  aliases?: string[];
  enabled?: boolean;
  comment?: string;
  /** `<id>.verge.local` by default: `distributionDomainName` and the cache key's domain. */
  domainName?: string;
  origins: OriginConfig[];
  originGroups?: OriginGroupConfig[];
  defaultCacheBehavior: DefaultCacheBehaviorConfig;
  cacheBehaviors?: CacheBehaviorConfig[];
  customErrorResponses?: CustomErrorResponseConfig[];
  /** Served for a request for `/` only (CloudFront's DefaultRootObject, e.g. `index.html`, no leading `/`). */
  defaultRootObject?: string;
  restrictions?: RestrictionsConfig;
  /**
   * Key groups the behaviors' `trustedKeyGroups` name. Written by hand in static mode; in managed
   * mode the control plane fills it from its key-group store when it compiles a snapshot.
   */
  keyGroups?: KeyGroupConfig[];
  /** A staging distribution (CloudFront continuous deployment): no aliases, reached through its primary. */
  staging?: boolean;
  /** On a primary: which staging distribution some viewers go to, and which viewers. */
  continuousDeployment?: ContinuousDeploymentConfig;
}

/** CloudFront's ContinuousDeploymentPolicy, in the primary's config. */
export interface ContinuousDeploymentConfig {
  stagingDistributionId: string;
  /** Requests carrying this header (name starting `aws-cf-cd-`) with this value go to staging. */
  header?: { name: string; value: string };
  /** This share of viewers (1–15%) goes to staging, each viewer kept on one side. */
  weight?: { percent: number };
}

/** CloudFront's `Restrictions`: geographic restrictions for the whole distribution. */
export interface RestrictionsConfig {
  geoRestriction: GeoRestrictionConfig;
}

export interface GeoRestrictionConfig {
  /** `whitelist` / `blacklist` are accepted as CloudFront's API spells them. */
  restrictionType: 'allowlist' | 'blocklist' | 'none' | 'whitelist' | 'blacklist';
  /** ISO 3166-1 alpha-2 country codes (CloudFront's `Items`). */
  locations?: string[];
}

/** A key group: the public keys signed URLs and cookies may be verified with (CloudFront's KeyGroup). */
export interface KeyGroupConfig {
  id: string;
  name?: string;
  comment?: string;
  publicKeys: PublicKeyConfig[];
}

export interface PublicKeyConfig {
  /** The `Key-Pair-Id` signers put in URLs and cookies (CloudFront's public key ID, e.g. `K2JCJMDEHXQW5F`). */
  id: string;
  name?: string;
  /** The RSA 2048-bit public key, PEM (`-----BEGIN PUBLIC KEY-----`). */
  encodedKey: string;
}

/** A custom (HTTP) origin, or a directory served like an S3 bucket when `bucket` is set. */
export interface OriginConfig {
  id: string;
  domainName?: string;
  port?: number;
  protocol?: 'http' | 'https';
  originPath?: string;
  customHeaders?: Record<string, string>;
  connectionAttempts?: number;
  /** Seconds. */
  connectionTimeout?: number;
  /** Seconds. */
  readTimeout?: number;
  /** Seconds. */
  keepaliveTimeout?: number;
  /** A directory (relative to the config file's folder) served as an S3-style origin. */
  bucket?: { path: string };
}

export interface OriginGroupConfig {
  id: string;
  /** [primaryOriginId, secondaryOriginId]. */
  members: [string, string];
  failoverCriteria: { statusCodes: number[] };
}

export type AllowedMethodsConfig = string[];

export interface DefaultCacheBehaviorConfig {
  targetOriginId: string;
  viewerProtocolPolicy?: 'allow-all' | 'redirect-to-https' | 'https-only';
  allowedMethods?: AllowedMethodsConfig;
  cachedMethods?: string[];
  compress?: boolean;
  /** A managed policy name or ID, or an inline policy. */
  cachePolicy?: string | CachePolicyConfig;
  originRequestPolicy?: string | OriginRequestPolicyConfig;
  responseHeadersPolicy?: string | ResponseHeadersPolicyConfig;
  functionAssociations?: FunctionAssociationConfig[];
  /** Key group ids: requests must carry a signed URL or signed cookies (CloudFront's TrustedKeyGroups). */
  trustedKeyGroups?: string[];
}

export interface CacheBehaviorConfig extends DefaultCacheBehaviorConfig {
  pathPattern: string;
}

/** `none`, `all`, an allow-list or a block-list (CloudFront's `*Behavior` + `Items`). */
export type ListConfig = 'none' | 'all' | { whitelist: string[] } | { allExcept: string[] };

export interface CachePolicyConfig {
  name?: string;
  /** Seconds. */
  minTTL: number;
  defaultTTL: number;
  maxTTL: number;
  /** Headers in the cache key (an allow-list only: spec 7.2). Default none. */
  headers?: string[];
  cookies?: ListConfig;
  queryStrings?: ListConfig;
  enableAcceptEncodingGzip?: boolean;
  enableAcceptEncodingBrotli?: boolean;
}

export type OriginRequestHeadersConfig =
  | 'none'
  | 'allViewer'
  | { whitelist: string[] }
  | { allExcept: string[] }
  /** Every viewer header plus the listed CloudFront-* headers (CloudFront's allViewerAndWhitelistCloudFront). */
  | { allViewerAndCloudFront: string[] };

export interface OriginRequestPolicyConfig {
  name?: string;
  headers?: OriginRequestHeadersConfig;
  cookies?: ListConfig;
  queryStrings?: ListConfig;
}

export interface CorsConfig {
  allowOrigins: string[];
  allowHeaders: string[];
  /** GET, DELETE, HEAD, OPTIONS, PATCH, POST, PUT or ALL. */
  allowMethods: string[];
  allowCredentials?: boolean;
  exposeHeaders?: string[];
  maxAgeSec?: number;
  originOverride?: boolean;
}

export interface SecurityHeadersConfig {
  contentSecurityPolicy?: { value: string; override: boolean };
  contentTypeOptions?: { override: boolean };
  frameOptions?: { value: 'DENY' | 'SAMEORIGIN'; override: boolean };
  referrerPolicy?: { value: string; override: boolean };
  strictTransportSecurity?: { maxAgeSec: number; includeSubdomains?: boolean; preload?: boolean; override: boolean };
  xssProtection?: { protection: boolean; modeBlock?: boolean; reportUri?: string; override: boolean };
}

export interface ResponseHeadersPolicyConfig {
  name?: string;
  cors?: CorsConfig;
  securityHeaders?: SecurityHeadersConfig;
  customHeaders?: Array<{ header: string; value: string; override: boolean }>;
  removeHeaders?: string[];
  serverTiming?: { enabled: boolean; samplingRate: number };
}

export interface FunctionConfig {
  /** A file, folder or .zip, relative to the config file's folder. */
  path: string;
  handler?: string;
  /** One of Verge's runtimes or an AWS identifier (`nodejs20.x`, `python3.12`; RUNTIME_NAMES). */
  runtime?: FunctionRuntimeKind | string;
  name?: string;
  env?: Record<string, string>;
  secretNames?: string[];
  profile?: LimitProfileName;
  timeoutMs?: number;
  memoryMB?: number;
  /** Isolates per PoP for this function (requests beyond it are throttled: LambdaLimitExceeded). */
  concurrency?: number;
  /** The published version number (managed mode); static mode uses `$LATEST`. */
  version?: string;
  /** CloudFront Functions (js-2.0) KeyValueStore: an id and a JSON file of key → value. */
  kvs?: { id: string; path?: string };
  /** Where outbound requests may go beyond public addresses (docs/security.md). */
  egress?: EgressConfig;
}

export interface FunctionAssociationConfig {
  eventType: EventType;
  /** A path (string form) or the full description. */
  function: string | FunctionConfig;
  includeBody?: boolean;
}

export interface CustomErrorResponseConfig {
  errorCode: number;
  responsePagePath?: string;
  responseCode?: number;
  /** Seconds (CloudFront's ErrorCachingMinTTL). */
  errorCachingMinTTL?: number;
}

/** One problem found by the validator, at a JSON path such as `$.cacheBehaviors[1].pathPattern`. */
export interface ConfigProblem {
  path: string;
  message: string;
}

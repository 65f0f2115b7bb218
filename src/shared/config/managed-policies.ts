/**
 * @module shared/config/managed-policies
 * CloudFront's managed cache, origin request and response headers policies, by name and by ID,
 * in the same shape as an inline policy so one compiler handles both. Values are copied from
 * the spec (7.2 cache policies, 7.3 origin request policies, 7.9 response headers policies);
 * values the spec marks as inferred are marked `(inf)` here too.
 */
import type { CachePolicyConfig, OriginRequestPolicyConfig, ResponseHeadersPolicyConfig } from './types.js';

export interface ManagedPolicy<T> {
  name: string;
  id: string;
  config: T;
}

const YEAR = 31_536_000;
const DAY = 86_400;

export const MANAGED_CACHE_POLICIES: readonly ManagedPolicy<CachePolicyConfig>[] = [
  {
    name: 'CachingOptimized',
    id: '658327ea-f89d-4fab-a63d-7e88639e58f6',
    config: {
      minTTL: 1,
      defaultTTL: DAY,
      maxTTL: YEAR,
      headers: [],
      cookies: 'none',
      queryStrings: 'none',
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    },
  },
  {
    name: 'CachingOptimizedForUncompressedObjects',
    id: 'b2884449-e4de-46a7-ac36-70bc7f1ddd6d',
    config: {
      minTTL: 1,
      defaultTTL: DAY,
      maxTTL: YEAR,
      headers: [],
      cookies: 'none',
      queryStrings: 'none',
      enableAcceptEncodingGzip: false,
      enableAcceptEncodingBrotli: false,
    },
  },
  {
    name: 'CachingDisabled',
    id: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
    config: {
      minTTL: 0,
      defaultTTL: 0,
      maxTTL: 0,
      headers: [],
      cookies: 'none',
      queryStrings: 'none',
      enableAcceptEncodingGzip: false,
      enableAcceptEncodingBrotli: false,
    },
  },
  {
    name: 'Amplify',
    id: '2e54312d-136d-493c-8eb9-b001f22f67d2',
    config: {
      minTTL: 2,
      defaultTTL: 2,
      maxTTL: 600,
      headers: ['Authorization', 'CloudFront-Viewer-Country', 'Host'],
      cookies: 'all',
      queryStrings: 'all',
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    },
  },
  {
    name: 'Elemental-MediaPackage',
    id: '08627262-05a9-4f76-9ded-b50ca2e3a84f',
    config: {
      minTTL: 0,
      defaultTTL: DAY,
      maxTTL: YEAR,
      headers: ['Origin'],
      cookies: 'none',
      queryStrings: { whitelist: ['aws.manifestfilter', 'start', 'end', 'm'] },
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: false,
    },
  },
];

/** The CloudFront-* headers of AllViewerAndCloudFrontHeaders-2022-06: spec 3.3 minus header order/count and JA3/JA4. */
const CLOUDFRONT_HEADERS_2022_06 = [
  'CloudFront-Forwarded-Proto',
  'CloudFront-Is-Android-Viewer',
  'CloudFront-Is-Desktop-Viewer',
  'CloudFront-Is-IOS-Viewer',
  'CloudFront-Is-Mobile-Viewer',
  'CloudFront-Is-SmartTV-Viewer',
  'CloudFront-Is-Tablet-Viewer',
  'CloudFront-Viewer-Address',
  'CloudFront-Viewer-ASN',
  'CloudFront-Viewer-City',
  'CloudFront-Viewer-Country',
  'CloudFront-Viewer-Country-Name',
  'CloudFront-Viewer-Country-Region',
  'CloudFront-Viewer-Country-Region-Name',
  'CloudFront-Viewer-Http-Version',
  'CloudFront-Viewer-Latitude',
  'CloudFront-Viewer-Longitude',
  'CloudFront-Viewer-Metro-Code',
  'CloudFront-Viewer-Postal-Code',
  'CloudFront-Viewer-Time-Zone',
  'CloudFront-Viewer-TLS',
];

export const MANAGED_ORIGIN_REQUEST_POLICIES: readonly ManagedPolicy<OriginRequestPolicyConfig>[] = [
  {
    name: 'AllViewer',
    id: '216adef6-5c7f-47e4-b989-5492eafa07d3',
    config: { headers: 'allViewer', cookies: 'all', queryStrings: 'all' },
  },
  {
    name: 'AllViewerAndCloudFrontHeaders-2022-06',
    id: '33f36d7e-f396-46d9-90e0-52428a34d9dc',
    config: { headers: { allViewerAndCloudFront: CLOUDFRONT_HEADERS_2022_06 }, cookies: 'all', queryStrings: 'all' },
  },
  {
    name: 'AllViewerExceptHostHeader',
    id: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
    config: { headers: { allExcept: ['Host'] }, cookies: 'all', queryStrings: 'all' },
  },
  {
    name: 'CORS-CustomOrigin',
    id: '59781a5b-3903-41f3-afcb-af62929ccde1',
    config: { headers: { whitelist: ['Origin'] }, cookies: 'none', queryStrings: 'none' },
  },
  {
    name: 'CORS-S3Origin',
    id: '88a5eaf4-2fd4-4709-b370-b4c650ea3fcf',
    config: {
      headers: { whitelist: ['Origin', 'Access-Control-Request-Headers', 'Access-Control-Request-Method'] },
      cookies: 'none',
      queryStrings: 'none',
    },
  },
  {
    name: 'UserAgentRefererHeaders',
    id: 'acba4595-bd28-49b8-b9fe-13317c0390fa',
    config: { headers: { whitelist: ['User-Agent', 'Referer'] }, cookies: 'none', queryStrings: 'none' },
  },
  {
    // (inf) the spec gives only the ID; contents from AWS's managed-policy page as we recall it.
    name: 'Elemental-MediaTailor-PersonalizedManifests',
    id: '775133bc-15f2-49f9-abea-afb2e0bf67d2',
    config: {
      headers: {
        whitelist: [
          'Origin',
          'Access-Control-Request-Headers',
          'Access-Control-Request-Method',
          'User-Agent',
          'X-Forwarded-For',
        ],
      },
      cookies: 'none',
      queryStrings: 'all',
    },
  },
];

const SIMPLE_CORS = {
  allowOrigins: ['*'],
  allowHeaders: [],
  allowMethods: [],
  allowCredentials: false,
  exposeHeaders: [],
  originOverride: false,
};
const PREFLIGHT_CORS = {
  allowOrigins: ['*'],
  allowHeaders: ['*'],
  allowMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'],
  allowCredentials: false,
  exposeHeaders: ['*'],
  originOverride: false,
};
/** (inf) values from spec 7.9: only X-Content-Type-Options overrides the origin's header. */
const SECURITY_HEADERS = {
  contentTypeOptions: { override: true },
  frameOptions: { value: 'SAMEORIGIN' as const, override: false },
  referrerPolicy: { value: 'strict-origin-when-cross-origin', override: false },
  strictTransportSecurity: { maxAgeSec: YEAR, override: false },
  xssProtection: { protection: true, modeBlock: true, override: false },
};

export const MANAGED_RESPONSE_HEADERS_POLICIES: readonly ManagedPolicy<ResponseHeadersPolicyConfig>[] = [
  { name: 'SimpleCORS', id: '60669652-455b-4ae9-85a4-c4c02393f86c', config: { cors: SIMPLE_CORS } },
  { name: 'CORS-With-Preflight', id: '5cc3b908-e619-4b99-88e5-2cf7f45965bd', config: { cors: PREFLIGHT_CORS } },
  {
    name: 'SecurityHeadersPolicy',
    id: '67f7725c-6f97-4210-82d7-5512b31e9d03',
    config: { securityHeaders: SECURITY_HEADERS },
  },
  {
    name: 'CORS-and-SecurityHeadersPolicy',
    id: 'e61eb60c-9c35-4d20-a928-2b84e02af89c',
    config: { cors: SIMPLE_CORS, securityHeaders: SECURITY_HEADERS },
  },
  {
    name: 'CORS-with-preflight-and-SecurityHeadersPolicy',
    id: 'eaab4381-ed33-4a86-88ca-d9558dc6cd63',
    config: { cors: PREFLIGHT_CORS, securityHeaders: SECURITY_HEADERS },
  },
];

function find<T>(list: readonly ManagedPolicy<T>[], ref: string): ManagedPolicy<T> | undefined {
  return list.find((m) => m.name === ref || m.id === ref);
}

/** A managed cache policy by exact name (`CachingOptimized`) or ID. */
export function managedCachePolicy(ref: string): ManagedPolicy<CachePolicyConfig> | undefined {
  return find(MANAGED_CACHE_POLICIES, ref);
}
export function managedOriginRequestPolicy(ref: string): ManagedPolicy<OriginRequestPolicyConfig> | undefined {
  return find(MANAGED_ORIGIN_REQUEST_POLICIES, ref);
}
export function managedResponseHeadersPolicy(ref: string): ManagedPolicy<ResponseHeadersPolicyConfig> | undefined {
  return find(MANAGED_RESPONSE_HEADERS_POLICIES, ref);
}

/**
 * @module shared/lambda-edge/contract
 * The rules of the four Lambda@Edge events in one table: when each runs and when it is
 * skipped, what a function may change, what a generated response does, and CloudFront's
 * limits. The pipeline, the runtime's validator and `docs/lifecycle.md` all read this table;
 * a test checks the doc against it. Sources: spec sections 0, 1.6, 2.4, 3, 4.1, 11.
 */
import type { EventType } from './events.js';

/** Situations in which an event's function does not run. */
export type SkipCondition =
  /** The viewer protocol policy answered with a redirect or 403 (spec 0.4). */
  | 'https-redirect'
  /** The edge is fetching a custom error page (spec 0.5, 7.8). */
  | 'error-page-fetch'
  /** The object was served fresh from the cache (spec 0.11). */
  | 'cache-hit'
  /** The viewer-request function generated the response (spec 2.4). */
  | 'generated-at-viewer-request'
  /** The origin-request function generated the response (spec 2.4). */
  | 'generated-at-origin-request'
  /** The origin (or the cached object) has status >= 400 (spec 0.15, 11.2). */
  | 'origin-status-gte-400'
  /** A custom error response replaced the body (spec 7.8). */
  | 'custom-error-page'
  /** The edge itself produced an error response (function failure, origin failure). */
  | 'edge-error';

export interface EventContract {
  /** In words, for docs/lifecycle.md. */
  runs: string;
  skippedWhen: readonly SkipCondition[];
  /** What returning a response object does (spec 2.4). */
  generatedResponse: 'not-cached' | 'cached' | 'replaces-response' | 'headers-only';
  /** Headers a function may read but not add, change or delete (spec 3.2). */
  readOnlyHeaders: readonly string[];
  /** Request fields a function may change. */
  writableRequestFields: readonly ('uri' | 'querystring' | 'headers' | 'body' | 'origin')[];
  /** The response status may be changed (origin-response: 200–599; viewer-response: never). */
  statusWritable: boolean;
  /** CloudFront's limits for this event (spec 4.1, 1.9). */
  limits: {
    timeoutMs: number;
    maxMemoryMB: number;
    generatedResponseBytes: number;
    packageBytes: number;
    bodyExposedBytes: number;
    bodyReplaceTextBytes: number;
    bodyReplaceBase64Bytes: number;
  };
  /** `includeBody` may be set on an association for this event. */
  includeBodyAllowed: boolean;
}

const KB = 1024;
const MB = 1024 * 1024;
const viewerLimits = {
  timeoutMs: 5_000,
  maxMemoryMB: 128,
  generatedResponseBytes: 40 * KB,
  packageBytes: 1 * MB,
  bodyExposedBytes: 40 * KB,
  bodyReplaceTextBytes: 40 * KB,
  bodyReplaceBase64Bytes: Math.round(53.2 * KB),
};
const originLimits = {
  timeoutMs: 30_000,
  maxMemoryMB: 10_240,
  generatedResponseBytes: 1 * MB,
  packageBytes: 50 * MB,
  bodyExposedBytes: 1 * MB,
  bodyReplaceTextBytes: 1 * MB,
  bodyReplaceBase64Bytes: Math.round(1.33 * MB),
};

export const CONTRACT: Readonly<Record<EventType, EventContract>> = {
  'viewer-request': {
    runs: 'on every viewer request, after the cache behavior is chosen and before the cache lookup',
    skippedWhen: ['https-redirect', 'error-page-fetch'],
    generatedResponse: 'not-cached',
    readOnlyHeaders: ['content-length', 'host', 'transfer-encoding', 'via'],
    writableRequestFields: ['uri', 'querystring', 'headers', 'body'],
    statusWritable: false,
    limits: viewerLimits,
    includeBodyAllowed: true,
  },
  'origin-request': {
    runs: 'once per origin fetch, on a cache miss or an expired object, before the request goes to the origin',
    skippedWhen: ['https-redirect', 'cache-hit', 'generated-at-viewer-request', 'edge-error'],
    generatedResponse: 'cached',
    readOnlyHeaders: [
      'accept-encoding',
      'content-length',
      'if-modified-since',
      'if-none-match',
      'if-range',
      'if-unmodified-since',
      'transfer-encoding',
      'via',
    ],
    writableRequestFields: ['uri', 'querystring', 'headers', 'body', 'origin'],
    statusWritable: false,
    limits: originLimits,
    includeBodyAllowed: true,
  },
  'origin-response': {
    runs: 'once per origin response, including 4xx and 5xx, before the response is cached',
    skippedWhen: [
      'https-redirect',
      'cache-hit',
      'generated-at-viewer-request',
      'generated-at-origin-request',
      'edge-error',
    ],
    generatedResponse: 'replaces-response',
    readOnlyHeaders: ['transfer-encoding', 'via'],
    writableRequestFields: [],
    statusWritable: true,
    limits: originLimits,
    includeBodyAllowed: false,
  },
  'viewer-response': {
    runs: 'on every response to the viewer, hit or miss, unless skipped',
    skippedWhen: [
      'https-redirect',
      'generated-at-viewer-request',
      'origin-status-gte-400',
      'custom-error-page',
      'edge-error',
    ],
    generatedResponse: 'headers-only',
    readOnlyHeaders: ['warning', 'via'],
    writableRequestFields: [],
    statusWritable: false,
    limits: viewerLimits,
    includeBodyAllowed: false,
  },
};

/** Headers never shown to functions; adding one is a validation error (spec 3.1). */
export const DISALLOWED_HEADERS: readonly string[] = [
  'connection',
  'expect',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'trailer',
  'upgrade',
  'x-accel-buffering',
  'x-accel-charset',
  'x-accel-limit-rate',
  'x-accel-redirect',
  'x-amzn-auth',
  'x-amzn-cf-billing',
  'x-amzn-cf-id',
  'x-amzn-cf-xff',
  'x-amzn-errortype',
  'x-amzn-fle-profile',
  'x-amzn-header-count',
  'x-amzn-header-order',
  'x-amzn-lambda-integration-tag',
  'x-amzn-requestid',
  'x-cache',
  'x-forwarded-proto',
  'x-real-ip',
];
/** Prefixes of disallowed header names (spec 3.1: `X-Amz-Cf-*`, `X-Edge-*`). */
export const DISALLOWED_HEADER_PREFIXES: readonly string[] = ['x-amz-cf-', 'x-edge-'];

export function isDisallowedHeader(lower: string): boolean {
  return DISALLOWED_HEADERS.includes(lower) || DISALLOWED_HEADER_PREFIXES.some((p) => lower.startsWith(p));
}

/** Should the function for `event` run, given the conditions that hold for this request? */
export function shouldRun(event: EventType, conditions: ReadonlySet<SkipCondition>): boolean {
  for (const c of CONTRACT[event].skippedWhen) if (conditions.has(c)) return false;
  return true;
}

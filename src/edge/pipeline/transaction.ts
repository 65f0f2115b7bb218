/**
 * @module edge/pipeline/transaction
 * Per-viewer state (ViewerTxn, RoutedTxn once a behavior is chosen) and per-origin-fetch state
 * (FetchTxn, and the FetchResult it ends with). Coalesced misses share one fetch, so
 * origin-request and origin-response run once per fetch, not once per viewer (DESIGN section 2).
 */
import type { CfHeaders, CfRequest, FunctionSource, SkipCondition } from '../../shared/lambda-edge/index.js';
import type { VergeError } from '../../shared/errors.js';
import type { BehaviorPlan, CustomErrorResponsePlan, DistributionPlan, EdgePlan, OriginPlan } from '../config/plan.js';
import type { OriginResponse } from '../origin/types.js';
import type { Readable } from 'node:stream';
import type { CacheEntry } from '../cache/types.js';
import type { Body, BodySource } from '../body/index.js';

/** CloudFront's `x-edge-result-type` / `X-Cache` class for a finished request. */
export type ResultType =
  | 'Hit'
  | 'RefreshHit'
  | 'Miss'
  | 'Error'
  | 'Redirect'
  | 'LambdaGeneratedResponse'
  | 'FunctionGeneratedResponse'
  | 'LambdaExecutionError'
  | 'LambdaValidationError'
  | 'LambdaLimitExceeded'
  | 'FunctionExecutionError'
  | 'FunctionValidationError'
  | 'FunctionThrottledError'
  | 'CapacityExceeded';

/**
 * The response being assembled for the viewer. The body is whole (generated responses, cached
 * objects, anything a store keeps) or a one-shot stream arriving from the origin (issue 12):
 * whoever replaces a response with a streamed body discards that body (`discardBody`).
 */
export interface EdgeResponse {
  status: number;
  statusText: string;
  headers: CfHeaders;
  body: Body;
}

/** What one origin fetch (with its origin-request and origin-response functions) produced. */
export interface FetchResult {
  /**
   * The response. Its body is a buffer (shared by every viewer of the fetch), a one-shot stream
   * (only the viewer that started the fetch reads it: an answer streamed through, not stored),
   * or empty with `bodySource` set.
   */
  response: EdgeResponse;
  /**
   * A stored body that is a file or still arriving (a streaming busy object): every viewer of
   * the fetch takes its own claim on it (`handle()`) and reads from byte 0 at its own pace.
   */
  bodySource?: BodySource;
  /** How the response came to be. */
  source: 'origin' | 'refresh' | 'generated-at-origin-request' | 'stale-on-error' | 'error';
  /** The entry stored in the cache, if any. */
  stored: CacheEntry | null;
  /** Set when source is 'error': what went wrong. */
  error?: VergeError;
  /** ResultType to report when this fetch fails because of a function. */
  errorClass?: ResultType;
  originLatencyMs?: number;
  originConnectMs?: number;
}

/**
 * A viewer body not read yet (server/viewer-body.ts). `receive` touches it only after the request
 * passed every check that needs no body, so a refused request never has its body read. A body
 * the behavior forwards streams to the origin (`stream`); only the prefix a function's
 * `includeBody` needs is buffered (`peek`), and those bytes then go to the origin first.
 */
export interface PendingBody {
  /** Content-Length when the viewer declared one. */
  readonly declaredLength: number | null;
  /** True once the whole body was read; otherwise the connection closes after the answer. */
  readonly complete: boolean;
  /** Body bytes received from the viewer so far. */
  readonly received: number;
  /** Throws REQUEST_BODY_TOO_LARGE when the declared length is over the per-request cap. */
  check(): void;
  /**
   * Buffer bytes until more than `limit` arrived or the body ended (charged to the PoP's budget:
   * EDGE_BODY_BUDGET_EXHAUSTED past it). `ended` says `bytes` is the whole body; otherwise
   * `stream()` still gives every byte, these first.
   */
  peek(limit: number): Promise<{ bytes: Buffer; ended: boolean }>;
  /** The body for the origin, with backpressure; errors with a typed VergeError (413, 408). */
  stream(): Readable;
}

/** Writes one interim response (status, header name/value pairs) to the viewer. */
export type InterimSink = (status: number, headers: Array<[string, string]>) => void;

export interface ViewerConnection {
  clientIp: string;
  clientPort: number;
  protocol: 'http' | 'https';
  /** '1.0' | '1.1' | '2.0' */
  httpVersion: string;
  tls?: { version: string; cipher: string; handshake: 'fullHandshake' | 'sessionResumed' | 'connectionReused' };
}

/** One function invocation on this request (access log `functions`, the console's request view). */
export interface FunctionRun {
  eventType: string;
  name: string;
  version: string;
  durationMs: number;
  ok: boolean;
  coldStart: boolean;
  /** The function's error class code when it failed. */
  error?: string;
  /** A request event returned a response. */
  generated?: boolean;
  /** Headers the function added or changed (value) or removed (null). */
  headerChanges?: Record<string, string | null>;
  /** The URI, query string or status the function changed (absent when unchanged). */
  uri?: { from: string; to: string };
  querystring?: { from: string; to: string };
  status?: { from: string; to: string };
}

export interface ViewerTxn {
  /** Also `X-Verge-Request-Id` and `config.requestId` of all four events. */
  readonly requestId: string;
  readonly startedAt: number;
  readonly startMono: number;
  readonly plan: EdgePlan;
  readonly conn: ViewerConnection;
  /** The host header without port, lower-case. */
  host: string;
  /** The raw request target as received (for logs). */
  rawUrl: string;
  /** Names of viewer headers in the order received (CloudFront-Viewer-Header-Order). */
  viewerHeaderOrder: string[];
  /** The viewer request in CloudFront's shape; the viewer-request function may replace it. */
  request: CfRequest;
  /**
   * The viewer's request body as far as it is held in memory: the whole body when it is small
   * enough for a function that reads it (or replaced by one), otherwise empty or the prefix a
   * function's `includeBody` needed (see `bodyStreams`).
   */
  body: Buffer;
  /** The body the viewer is sending; null when there is none. */
  pendingBody: PendingBody | null;
  /** The origin gets `pendingBody.stream()` (every byte, streamed), not `body`. */
  bodyStreams: boolean;
  dist: DistributionPlan | null;
  behavior: BehaviorPlan | null;
  /** Why later functions are skipped (contract table). */
  conditions: Set<SkipCondition>;
  cacheKey: string | null;
  /** Path plus the key's query, matched by path invalidations (spec 7.6). */
  invalidationPath: string;
  acceptEncoding: string | undefined;
  /** A stale entry found at lookup, kept for revalidation and stale-if-error. */
  staleEntry: CacheEntry | null;
  /** Another worker of the PoP fetched this key while this viewer waited (`--workers N`): looked up again once. */
  fetchedElsewhere?: boolean;
  /**
   * Sends an origin's interim response (102, 103) on to this viewer before the final one, as a
   * proxy must (RFC 9110 15.2); absent for a viewer that cannot take one (HTTP/1.0). Only the
   * viewer whose request started the fetch gets it; interim responses are never stored.
   */
  interim?: InterimSink;
  /** The response being built; null until lookup/fetch/synth produces one. */
  response: EdgeResponse | null;
  /** The status before a custom error response replaced it (for skip rules and logs). */
  originStatus: number;
  resultType: ResultType;
  detailedResultType: string;
  error: VergeError | null;
  /** CloudFront-* request headers computed for this viewer (lazy, see geo). */
  cloudFrontHeaders: CfHeaders | null;
  /** Age in seconds when served from cache. */
  ageSec: number | null;
  originLatencyMs: number | undefined;
  functionsRan: FunctionRun[];
  /** CloudFront Functions only: the origin the function chose (updateRequestOrigin etc.). */
  originOverride: {
    originId?: string;
    domainName?: string;
    originPath?: string;
    customHeaders?: Record<string, string>;
  } | null;
  /** Range served (for the log). */
  range: { start: number; end: number } | null;
  /** Who the viewer is for canary stickiness (canary-arm.ts), worked out on first use. */
  viewerKey?: string;
  /** Set-Cookie for a sticky staging session (staging-route.ts), added to whatever answers. */
  stickyCookie?: string;
  /**
   * A custom error page being fetched (spec 7.8): the viewer restarted at `lookup` for the page
   * path, and what it was before, restored when the page (or the failure to get it) arrives.
   */
  errorPage: ErrorPageRestart | null;
}

/** State kept while a viewer restarts through the table for a custom error page. */
export interface ErrorPageRestart {
  cer: CustomErrorResponsePlan;
  /** The status the page replaces. */
  status: number;
  /** The step that asked for it: `deliver` goes on to viewer-response, `synth` to finalize. */
  from: 'deliver' | 'synth';
  /** The viewer's own state, put back when the page is there. */
  saved: ViewerTxn;
}

/** A viewer transaction whose distribution is known (a behavior may not be chosen yet). */
export type DistTxn = ViewerTxn & { dist: DistributionPlan };

/** A viewer transaction after `receive`: its distribution and cache behavior are chosen. */
export type RoutedTxn = ViewerTxn & { dist: DistributionPlan; behavior: BehaviorPlan };

/**
 * One origin fetch (DESIGN section 2, Varnish's busy object's fetch): what it takes from the
 * viewer that started it, and what its steps build. Collapsed viewers share it, and
 * stale-while-revalidate starts one with no viewer waiting.
 */
export interface FetchTxn {
  readonly requestId: string;
  /** The starting viewer's canary stickiness key (canary-arm.ts). */
  readonly viewerKey: string;
  readonly dist: DistributionPlan;
  readonly behavior: BehaviorPlan;
  /** The viewer request after viewer-request, and the headers its cache key was built from. */
  readonly request: CfRequest;
  readonly keyHeaders: CfHeaders;
  readonly cloudFrontHeaders: CfHeaders;
  readonly viewerHttpVersion: string;
  readonly acceptEncoding: string | undefined;
  readonly originOverride: ViewerTxn['originOverride'];
  /** The viewer's body: in memory, or streaming from `pendingBody` when `bodyStreams`. */
  readonly body: Buffer;
  readonly bodyStreams: boolean;
  readonly pendingBody: PendingBody | null;
  readonly cacheKey: string | null;
  readonly invalidationPath: string;
  /** Whether the answer may be stored (the viewer's method is cached by the behavior). */
  readonly cacheable: boolean;
  /** The stored copy being revalidated (conditional request, stale-if-error). */
  readonly staleEntry: CacheEntry | null;
  /** The starting viewer's interim-response writer (server/interim.ts); none for a background refresh. */
  readonly interim?: InterimSink;
  /** A stale-while-revalidate refresh: viewers are served the stale copy meanwhile. */
  readonly background?: boolean;
  /** The invalidation epoch when the fetch started (pipeline/invalidation-fence.ts). */
  readonly epoch: number;
  /** The fetch's own skip conditions (origin events only look at these). */
  readonly conditions: Set<SkipCondition>;
  readonly functionsRan: FunctionRun[];
  /** The origin, or an origin group's members in failover order, and the one being tried. */
  readonly targets: readonly OriginPlan[];
  attempt: number;
  /** Statuses that fail over to the next member (null: no failover for this request). */
  readonly failoverStatuses: ReadonlySet<number> | null;
  /** After origin-request: the request and body the origin gets. */
  originRequest: CfRequest | null;
  originBody: Buffer;
  bodyReplaced: boolean;
  /** The origin-request function that produced `originRequest`: an origin it chose is held to its egress policy. */
  originFunction: FunctionSource | null;
  /** What the origin answered, or why it did not. */
  originResponse: OriginResponse | null;
  originError: VergeError | null;
  /** The response being built, and how it came to be. */
  response: EdgeResponse | null;
  source: FetchResult['source'];
  originLatencyMs?: number;
  originConnectMs?: number;
  /** Set when the fetch is over. */
  result: FetchResult | null;
}

/**
 * @module shared/errors
 * Every error Verge raises has a stable string code registered here. `docs/errors.md` lists the
 * same codes and a test keeps the two in step. Viewer-facing codes also say how they become a
 * response: the HTTP status and the `X-Cache` class CloudFront would show (spec section 5.1).
 *
 * To add an error: add a row to ERROR_CODES, then a section to docs/errors.md.
 */

export interface ErrorSpec {
  /** HTTP status the viewer gets, when the error reaches a viewer. */
  status?: number;
  /** CloudFront's `X-Cache` result class (`<class> from verge`). */
  xCache?: string;
  /** The access log's `x-edge-detailed-result-type`. */
  detail?: string;
  /** One line for docs and for humans. */
  summary: string;
}

export const ERROR_CODES = {
  // Configuration
  CONFIG_INVALID: { summary: 'A distribution config failed validation; every problem is listed by JSON path.' },
  CONFIG_UNREADABLE: { summary: 'A config file could not be read or is not JSON.' },
  CONFIG_DUPLICATE_ALIAS: { summary: 'Two distributions claim the same host name.' },
  // Viewer request problems (the request never reaches an origin)
  REQUEST_MALFORMED: {
    status: 400,
    xCache: 'Error',
    detail: 'InvalidRequest',
    summary: 'The HTTP request could not be parsed.',
  },
  REQUEST_HEADERS_TOO_LARGE: {
    status: 413,
    xCache: 'Error',
    detail: 'InvalidRequestHeader',
    summary: 'Request line plus headers exceed 20,480 bytes.',
  },
  REQUEST_URL_TOO_LONG: {
    status: 414,
    xCache: 'Error',
    detail: 'InvalidRequestURI',
    summary: 'The URL exceeds 8,192 bytes.',
  },
  REQUEST_VERSION_NOT_SUPPORTED: {
    status: 505,
    xCache: 'Error',
    detail: 'InvalidRequest',
    summary: 'The request line names an HTTP version this listener does not speak (HTTP/2 over cleartext HTTP/1.1).',
  },
  REQUEST_BODY_TOO_LARGE: {
    status: 413,
    xCache: 'Error',
    detail: 'InvalidRequest',
    summary: "The request body exceeds the edge's per-request limit (CloudFront's 30 GB by default).",
  },
  REQUEST_BODY_TIMEOUT: {
    status: 408,
    xCache: 'Error',
    detail: 'ClientCommError',
    summary: 'The viewer stopped sending its request body (idle past the limit, too slow on average, or hung up).',
  },
  EDGE_BODY_BUDGET_EXHAUSTED: {
    status: 503,
    xCache: 'CapacityExceeded',
    detail: 'CapacityExceeded',
    summary:
      "Request bodies buffered for functions (includeBody) across all connections fill the PoP's budget; try again.",
  },
  EDGE_WORKER_UNAVAILABLE: {
    summary:
      'A worker of a multi-process PoP (`verge edge --workers N`) did not answer its primary: it exited or is restarting.',
  },
  REQUEST_GET_WITH_BODY: {
    status: 403,
    xCache: 'Error',
    detail: 'InvalidRequestMethod',
    summary: 'A GET request carried a body.',
  },
  REQUEST_METHOD_NOT_ALLOWED: {
    status: 403,
    xCache: 'Error',
    detail: 'InvalidRequestMethod',
    summary: 'The cache behavior does not allow this method.',
  },
  REQUEST_HTTPS_REQUIRED: {
    status: 403,
    xCache: 'Error',
    detail: 'InvalidRequestMethod',
    summary: 'The behavior is https-only and the request came over HTTP.',
  },
  REQUEST_BAD_PATH: {
    status: 400,
    xCache: 'Error',
    detail: 'InvalidRequest',
    summary: 'The path escapes the origin root or contains a NUL byte.',
  },
  DISTRIBUTION_NOT_FOUND: {
    status: 403,
    xCache: 'Error',
    detail: 'InvalidRequest',
    summary: 'No distribution answers for this Host header.',
  },
  DISTRIBUTION_DISABLED: {
    status: 403,
    xCache: 'Error',
    detail: 'InvalidRequest',
    summary: 'The distribution is disabled.',
  },
  VIEWER_GEO_BLOCKED: {
    status: 403,
    xCache: 'Error',
    detail: 'ClientGeoBlocked',
    summary: "The distribution's geographic restriction refuses the viewer's country.",
  },
  SIGNED_URL_MISSING_KEY: {
    status: 403,
    xCache: 'Error',
    detail: 'Error',
    summary: 'The behavior requires a signed URL or signed cookies and the request has no Key-Pair-Id.',
  },
  SIGNED_URL_UNKNOWN_KEY: {
    status: 403,
    xCache: 'Error',
    detail: 'Error',
    summary: "The Key-Pair-Id is not a public key in one of the behavior's trusted key groups.",
  },
  SIGNED_URL_MALFORMED_POLICY: {
    status: 403,
    xCache: 'Error',
    detail: 'Error',
    summary: 'The signed URL or cookie policy cannot be read (bad base64 or JSON, no DateLessThan, bad Expires).',
  },
  SIGNED_URL_ACCESS_DENIED: {
    status: 403,
    xCache: 'Error',
    detail: 'Error',
    summary:
      'The signature does not verify, or the policy refuses the request (expired, not yet valid, other IP, other URL).',
  },
  RANGE_NOT_SATISFIABLE: {
    status: 416,
    xCache: 'Error',
    detail: 'Error',
    summary: 'The requested range lies outside the object.',
  },
  // Origin problems
  ORIGIN_DNS_ERROR: {
    status: 502,
    xCache: 'Error',
    detail: 'OriginDnsError',
    summary: 'The origin host name could not be resolved.',
  },
  ORIGIN_CONNECT_ERROR: {
    status: 502,
    xCache: 'Error',
    detail: 'OriginConnectError',
    summary: 'No connection to the origin after every attempt.',
  },
  ORIGIN_TIMEOUT: {
    status: 504,
    xCache: 'Error',
    detail: 'OriginReadError',
    summary: 'The origin did not answer within its read timeout.',
  },
  ORIGIN_BAD_RESPONSE: {
    status: 502,
    xCache: 'Error',
    detail: 'OriginError',
    summary: 'The origin answered with something that is not valid HTTP.',
  },
  ORIGIN_RESET: {
    status: 502,
    xCache: 'Error',
    detail: 'OriginCommError',
    summary: 'The origin closed the connection mid-response.',
  },
  ORIGIN_HEADERS_TOO_LARGE: {
    status: 502,
    xCache: 'Error',
    detail: 'OriginHeaderTooBigError',
    summary: 'The origin response headers exceed 20,480 bytes.',
  },
  ORIGIN_TLS_ERROR: {
    status: 502,
    xCache: 'Error',
    detail: 'OriginConnectError',
    summary: 'The TLS handshake with the origin failed.',
  },
  ORIGIN_BODY_TOO_LARGE: {
    status: 502,
    xCache: 'Error',
    detail: 'OriginError',
    summary: "The origin response body exceeds the edge's buffering limit (maxBodyBytes).",
  },
  // Functions (spec 5.1)
  LAMBDA_EXECUTION_ERROR: {
    status: 503,
    xCache: 'LambdaExecutionError',
    detail: 'LambdaExecutionError',
    summary: 'A Lambda@Edge function threw, rejected, timed out or ran out of memory.',
  },
  LAMBDA_VALIDATION_ERROR: {
    status: 502,
    xCache: 'LambdaValidationError',
    detail: 'LambdaValidationError',
    summary: 'A Lambda@Edge function returned a result that fails validation.',
  },
  LAMBDA_LIMIT_EXCEEDED: {
    status: 503,
    xCache: 'LambdaLimitExceeded',
    detail: 'LambdaLimitExceeded',
    summary: 'A Lambda@Edge function was throttled (concurrency limit).',
  },
  FUNCTION_EXECUTION_ERROR: {
    status: 503,
    xCache: 'FunctionExecutionError',
    detail: 'FunctionExecutionError',
    summary: 'A CloudFront Function threw or could not run.',
  },
  FUNCTION_VALIDATION_ERROR: {
    status: 502,
    xCache: 'FunctionValidationError',
    detail: 'FunctionValidationError',
    summary: 'A CloudFront Function returned an invalid object.',
  },
  FUNCTION_THROTTLED: {
    status: 503,
    xCache: 'FunctionThrottledError',
    detail: 'FunctionThrottledError',
    summary: 'A CloudFront Function exceeded its compute budget.',
  },
  FUNCTION_TIMER_LIMIT: {
    summary:
      'A function already had 10,000 pending timers: setTimeout/setInterval/setImmediate threw instead of adding one.',
  },
  FUNCTION_HOST_CALL_LIMIT: {
    summary:
      'A function asked the host for too much at once: over 128 host calls (fetch, crypto, zlib) in flight, or over 10,000 in one invocation.',
  },
  FUNCTION_LOAD_ERROR: {
    summary: 'A function package could not be loaded (syntax error, missing handler, too large).',
  },
  UNSAFE_STAGING_DIR: {
    summary:
      'A staging folder for sandboxes under $TMPDIR is a link, not a folder, owned by another user or writable by others; refused, never used.',
  },
  FUNCTION_CODE_INVALID: {
    status: 400,
    summary:
      'The control plane loaded the code on its copy of the edge engine and it failed (syntax error, missing handler, import error); `details` names the file, line and column. Nothing was stored, published or attached.',
  },
  INVALIDATION_INVALID: {
    summary: "An invalidation request breaks CloudFront's rules (path syntax, length or count limits, bad tag).",
  },
  REPLICATION_FAILED: {
    summary:
      'A snapshot, bundle or key-value blob from the control plane could not be fetched or failed verification; the edge keeps serving its current snapshot.',
  },
  // Control plane API (status = the HTTP answer)
  VALIDATION_FAILED: {
    status: 400,
    summary: 'An API request body or parameter is invalid; every problem is listed by JSON path in `fields`.',
  },
  UNAUTHORIZED: { status: 401, summary: 'The API request has no bearer token, or its token is unknown or revoked.' },
  FORBIDDEN: {
    status: 403,
    summary: "The token is valid but may not do this (an edge token on an admin route or another PoP's data).",
  },
  NOT_FOUND: { status: 404, summary: 'The API route or the named resource does not exist.' },
  ALREADY_EXISTS: { status: 409, summary: 'A resource with this name or id already exists.' },
  FUNCTION_IN_USE: {
    status: 409,
    summary: 'The function cannot be deleted while one of its versions is attached to a distribution.',
  },
  KEY_IN_USE: {
    status: 409,
    summary:
      'A public key that a key group holds, or a key group that a cache behavior trusts, cannot be deleted; the message names who uses it.',
  },
  PRECONDITION_FAILED: {
    status: 412,
    summary: 'If-Match names a revision that is no longer current; nothing was changed.',
  },
  BUS_UNAVAILABLE: {
    status: 503,
    summary:
      'The NATS server (--nats URL) cannot be reached or has no JetStream; the message names where. The control plane keeps changes in its outbox and a PoP keeps serving what it has; both retry.',
  },
  STORE_UNAVAILABLE: {
    status: 503,
    summary:
      "The control plane's store (SQLite file or PostgreSQL database) cannot be opened or reached; the message names where.",
  },
  TELEMETRY_BACKLOG: {
    status: 503,
    summary:
      'Too many log records and metric points from PoPs wait to be written; the batch was not taken and the PoP sends it again later.',
  },
  BUNDLE_CORRUPT: {
    status: 500,
    summary:
      'A stored code bundle does not hash to the sha256 it is stored under (damaged in the store): the code is not shown, gated or served; the message names the functions, versions and both hashes.',
  },
  KVS_CORRUPT: {
    status: 500,
    summary:
      'Stored KeyValueStore data does not hash to the sha256 it is stored under (damaged in the store): it is not served to PoPs or restored by a rollback; the message names the KeyValueStore and both hashes.',
  },
  CONTROL_UNREACHABLE: { summary: 'The CLI could not reach the control plane, or what answered is not its API.' },
  WAIT_TIMEOUT: {
    summary:
      'A `--wait` ran out of time before every PoP applied the change; the message names the PoPs still waiting.',
  },
  // Internal
  INTERNAL: { status: 500, xCache: 'Error', detail: 'Error', summary: 'An unexpected internal error; this is a bug.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class VergeError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, message: string, opts: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'VergeError';
    this.code = code;
    this.details = opts.details;
  }
  get spec(): ErrorSpec {
    return ERROR_CODES[this.code];
  }
  /** The viewer status; 500 for codes that should never reach a viewer. */
  get status(): number {
    return this.spec.status ?? 500;
  }
}

export function isVergeError(e: unknown): e is VergeError {
  return e instanceof VergeError;
}

/** Wrap anything thrown into a VergeError (unknown errors become INTERNAL). */
export function toVergeError(e: unknown): VergeError {
  if (e instanceof VergeError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new VergeError('INTERNAL', msg, { cause: e });
}

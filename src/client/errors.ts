/**
 * @module client/errors
 * `ClientError`: every failed call of the REST client, whether the control plane answered
 * with an error document (`{ error: { code, message, fields } }`, docs/api.md) or could not
 * be reached at all (status 0). `nextStep()` says what a person should do about it; the CLI
 * and the console both show it.
 */

export interface FieldProblem {
  /** JSON path of the offending field (`$.name`). */
  path: string;
  message: string;
}

/** Codes the client itself produces when there is no HTTP answer to read one from. */
export const CONNECTION_REFUSED = 'CONNECTION_REFUSED';
export const NETWORK_ERROR = 'NETWORK_ERROR';
export const TIMEOUT = 'TIMEOUT';
export const BAD_RESPONSE = 'BAD_RESPONSE';

export class ClientError extends Error {
  /** HTTP status, or 0 when no answer came back. */
  readonly status: number;
  /** The server's error code (`VALIDATION_FAILED`, `PRECONDITION_FAILED`, ...) or one of the client's. */
  readonly code: string;
  readonly fields: FieldProblem[];
  /** The control plane's base URL, for messages. */
  readonly url: string;
  /** The error document's `details` (e.g. FUNCTION_CODE_INVALID's file, line and column), if any. */
  readonly details: Record<string, unknown> | undefined;
  constructor(
    status: number,
    code: string,
    message: string,
    opts: { fields?: FieldProblem[]; url?: string; cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ClientError';
    this.status = status;
    this.code = code;
    this.fields = opts.fields ?? [];
    this.url = opts.url ?? '';
    this.details = opts.details;
  }
}

export function isClientError(e: unknown): e is ClientError {
  return e instanceof ClientError;
}

/** Turn a non-2xx answer's body into a ClientError (a missing or non-JSON body still gives one). */
export function errorFromResponse(status: number, text: string, url: string): ClientError {
  let doc: unknown;
  try {
    doc = text ? JSON.parse(text) : undefined;
  } catch {
    doc = undefined;
  }
  const err = (
    doc as { error?: { code?: unknown; message?: unknown; fields?: unknown; details?: unknown } } | undefined
  )?.error;
  const code = typeof err?.code === 'string' ? err.code : `HTTP_${status}`;
  const message = typeof err?.message === 'string' ? err.message : text.slice(0, 200) || `HTTP ${status}`;
  const fields = Array.isArray(err?.fields)
    ? err.fields.filter(
        (f): f is FieldProblem => typeof f === 'object' && f !== null && typeof (f as FieldProblem).path === 'string',
      )
    : [];
  const details =
    typeof err?.details === 'object' && err.details !== null && !Array.isArray(err.details)
      ? (err.details as Record<string, unknown>)
      : undefined;
  return new ClientError(status, code, message, { fields, url, ...(details ? { details } : {}) });
}

/** Map a rejected fetch (no answer) to a ClientError naming the cause. */
export function errorFromFetchFailure(e: unknown, url: string): ClientError {
  const err = e as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError')
    return new ClientError(0, TIMEOUT, `no answer from ${url} in time`, { url, cause: e });
  // fetch wraps the socket error in `cause`; undici's request throws it as is.
  const code = err?.cause?.code ?? err?.code;
  if (code === 'ECONNREFUSED')
    return new ClientError(0, CONNECTION_REFUSED, `connection refused by ${url}`, { url, cause: e });
  const why = err?.cause?.message ?? err?.message ?? String(e);
  return new ClientError(0, NETWORK_ERROR, `could not reach ${url}: ${why}`, { url, cause: e });
}

/** One sentence telling a person what to do next, or '' when the message says it all. */
export function nextStep(e: ClientError): string {
  if (e.code === CONNECTION_REFUSED || e.code === NETWORK_ERROR || e.code === TIMEOUT) {
    return `Is \`verge control\` or \`verge up\` running at ${e.url}? Check the URL (--url, VERGE_URL or \`verge login\`).`;
  }
  if (e.status === 401)
    return 'Run `verge login --url URL --token TOKEN` or set VERGE_TOKEN (the admin token is in .verge/admin-token).';
  if (e.status === 403) return 'This token may not do that: use an admin token.';
  if (e.status === 412) return 'Someone else changed it since you read it; get it again and retry.';
  if (e.status === 404) return 'Check the name or id (the list command shows what exists).';
  if (e.status === 409 && e.code === 'FUNCTION_IN_USE')
    return 'Remove its triggers first (`verge triggers remove ...`), then delete it.';
  if (e.fields.length > 0) return 'Fix the fields listed above and retry.';
  return '';
}

/** The whole error as lines for a terminal: message, each field problem, and the next step. */
export function formatClientError(e: ClientError): string {
  const head = e.status > 0 ? `${e.status} ${e.code}: ${e.message}` : `${e.code}: ${e.message}`;
  const lines = [head, ...e.fields.map((f) => `  ${f.path}: ${f.message}`)];
  const next = nextStep(e);
  if (next) lines.push(next);
  return lines.join('\n');
}

/**
 * @module edge/origin/error-map
 * Turns what undici and Node's sockets throw into Verge's ORIGIN_* codes, and says whether a
 * failed attempt may be retried. The phase (how far the exchange got) matters as much as the
 * error: a reset before any response byte is a connection problem, a reset mid-body is a broken
 * response (spec 5.1 and 7.12).
 */
import { VergeError } from '../../shared/errors.js';
import type { ErrorCode } from '../../shared/errors.js';

/** The code of the error the client aborts a response with when it passes `maxBodyBytes`. */
export const BODY_TOO_LARGE = 'VERGE_BODY_TOO_LARGE';

/** How far one attempt got before it failed. */
export type AttemptPhase = 'connect' | 'sent' | 'headers';

export interface ClassifiedError {
  code: ErrorCode;
  /** A short machine-readable reason, put into VergeError details. */
  reason: string;
  /** Whether another connection attempt may follow (the caller also checks the method). */
  retry: 'always' | 'idempotent' | 'never';
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA', 'ENODATA']);
const CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
]);

function errCode(err: unknown): string {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : '';
}

function isTlsError(err: unknown, code: string): boolean {
  if (CERT_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return true;
  return (err as { library?: unknown } | null)?.library === 'SSL routines';
}

/** Classify one failed attempt. `phase` is how far the attempt got. */
export function classify(err: unknown, phase: AttemptPhase): ClassifiedError {
  const code = errCode(err);
  if (code === BODY_TOO_LARGE) return { code: 'ORIGIN_BODY_TOO_LARGE', reason: code, retry: 'never' };
  if (DNS_CODES.has(code)) return { code: 'ORIGIN_DNS_ERROR', reason: code, retry: 'never' };
  if (isTlsError(err, code)) return { code: 'ORIGIN_TLS_ERROR', reason: code, retry: 'never' };
  if (code === 'UND_ERR_HEADERS_OVERFLOW' || code === 'HPE_HEADER_OVERFLOW') {
    return { code: 'ORIGIN_HEADERS_TOO_LARGE', reason: code, retry: 'never' };
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    // Spec 7.12: on a response timeout, GET and HEAD are retried per connection attempts.
    return { code: 'ORIGIN_TIMEOUT', reason: code, retry: 'idempotent' };
  }
  if (code.startsWith('HPE_') || (err as Error | null)?.name === 'HTTPParserError')
    return { code: 'ORIGIN_BAD_RESPONSE', reason: code, retry: 'never' };
  if (code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') return { code: 'ORIGIN_RESET', reason: code, retry: 'never' };
  if (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED') {
    return { code: 'REQUEST_MALFORMED', reason: code, retry: 'never' };
  }
  if (phase === 'connect') {
    // Nothing was sent yet (refused, unreachable, connect/handshake timeout, closed during the
    // TLS handshake): any method may try again.
    return { code: 'ORIGIN_CONNECT_ERROR', reason: code || 'connect-failed', retry: 'always' };
  }
  if (phase === 'sent') {
    // The request went out but no response byte came back: a dead keep-alive socket or an origin
    // that hung up. Only safe to resend for GET/HEAD.
    return { code: 'ORIGIN_RESET', reason: code || 'closed-before-response', retry: 'idempotent' };
  }
  return { code: 'ORIGIN_RESET', reason: code || 'closed-mid-response', retry: 'never' };
}

/** Build the VergeError for the last failed attempt. */
export function toOriginError(
  c: ClassifiedError,
  err: unknown,
  details: { origin: string; attempts: number },
): VergeError {
  const msg = err instanceof Error ? err.message : String(err);
  return new VergeError(c.code, `origin ${details.origin}: ${msg}`, {
    cause: err,
    details: { ...details, reason: c.reason },
  });
}

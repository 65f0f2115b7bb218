/**
 * @module edge/signed/verify
 * Checks a request against a behavior's trusted public keys the way CloudFront does for signed
 * URLs and signed cookies [DG23 private-content-signed-urls.md, private-content-signed-cookies.md,
 * private-content-choosing-signed-urls-cookies.md]: a URL carrying any of `Expires`, `Policy`,
 * `Signature`, `Key-Pair-Id` is a signed URL and cookies are not looked at; otherwise the
 * `CloudFront-*` cookies are. The key is found by `Key-Pair-Id`, the policy is rebuilt (canned)
 * or decoded (custom), the RSA signature is verified over it with node:crypto (SHA-1, or SHA-256
 * when `Hash-Algorithm=SHA256`), then the conditions. Failures carry CloudFront's error code and
 * message for the 403 body plus our own reason for the access log. A leaf: no pipeline imports.
 */
import { verify as cryptoVerify, type KeyObject } from 'node:crypto';
import {
  MAX_EPOCH,
  cannedPolicy,
  cidrContains,
  decodeCloudFrontBase64,
  parsePolicy,
  resourceMatches,
  type PolicyStatement,
  type UrlParts,
} from './policy.js';

/** Query parameters CloudFront consumes and removes before the cache key and the origin. */
export const SIGNING_PARAMS: ReadonlySet<string> = new Set([
  'Expires',
  'Policy',
  'Signature',
  'Key-Pair-Id',
  'Hash-Algorithm',
]);
/** The cookie names of signed cookies. */
export const SIGNING_COOKIES: ReadonlySet<string> = new Set([...SIGNING_PARAMS].map((n) => `CloudFront-${n}`));
/** Any of these in the query makes the URL a signed URL (signed cookies are then ignored). */
const URL_MARKERS = ['Expires', 'Policy', 'Signature', 'Key-Pair-Id'];

/** CloudFront's error codes and messages for signed requests (the `<Error>` XML body). */
export const SIGNED_ERRORS = {
  MissingKey: 'Missing Key-Pair-Id query parameter or cookie value',
  InvalidKey: 'Unknown Key',
  MalformedPolicy: 'Malformed Policy',
  AccessDenied: 'Access denied',
} as const;
export type SignedErrorCode = keyof typeof SIGNED_ERRORS;

export interface SignedInput extends UrlParts {
  /** Raw `Cookie` header values. */
  cookies: readonly string[];
  clientIp: string;
  /** Now, in seconds since the epoch (from the injected clock). */
  nowSec: number;
}

export type SignedResult =
  { ok: true; via: 'url' | 'cookie'; keyPairId: string } | { ok: false; code: SignedErrorCode; reason: string };

interface Credentials {
  via: 'url' | 'cookie';
  expires?: string;
  policy?: string;
  signature?: string;
  keyPairId?: string;
  hashAlgorithm?: string;
}

/** Verify a request; `keys` maps public key id (Key-Pair-Id) to key, for the behavior's trusted key groups. */
export function verifySigned(req: SignedInput, keys: ReadonlyMap<string, KeyObject>): SignedResult {
  const params = parseQuery(req.query);
  const c = URL_MARKERS.some((n) => params.has(n)) ? fromUrl(params) : fromCookies(req.cookies);
  const where = c.via === 'url' ? 'query string' : 'cookies';
  const fail = (code: SignedErrorCode, reason: string): SignedResult => ({ ok: false, code, reason });
  if (!c.keyPairId) return fail('MissingKey', `no Key-Pair-Id in the ${where}`);
  const key = keys.get(c.keyPairId);
  if (!key) return fail('InvalidKey', `Key-Pair-Id ${c.keyPairId} is not in a key group this behavior trusts`);
  if (!c.signature) return fail('AccessDenied', `no Signature in the ${where}`);
  const url: UrlParts = { scheme: req.scheme, host: req.host, path: req.path, query: stripSignedParams(req.query) };
  let policyText: string;
  let statement: PolicyStatement;
  if (c.policy !== undefined) {
    policyText = decodeCloudFrontBase64(c.policy).toString('utf8');
    const parsed = parsePolicy(policyText);
    if (typeof parsed === 'string') return fail('MalformedPolicy', parsed);
    statement = parsed;
  } else if (c.expires !== undefined) {
    const exp = /^\d{1,10}$/.test(c.expires) ? Number(c.expires) : NaN;
    if (!(exp <= MAX_EPOCH))
      return fail('MalformedPolicy', `Expires ${JSON.stringify(c.expires)} is not a Unix time in seconds`);
    // A canned policy names exactly the URL requested (query without the signing parameters).
    statement = { resource: formatUrl(url), dateLessThan: exp };
    policyText = cannedPolicy(statement.resource!, exp);
  } else {
    return fail('MalformedPolicy', `neither Expires nor Policy in the ${where}`);
  }
  const algorithm =
    c.hashAlgorithm === undefined || c.hashAlgorithm === 'SHA1'
      ? 'sha1'
      : c.hashAlgorithm === 'SHA256'
        ? 'sha256'
        : undefined;
  if (!algorithm)
    return fail('MalformedPolicy', `Hash-Algorithm ${JSON.stringify(c.hashAlgorithm)} is not SHA1 or SHA256`);
  let good = false;
  try {
    good = cryptoVerify(algorithm, Buffer.from(policyText, 'utf8'), key, decodeCloudFrontBase64(c.signature));
  } catch {
    good = false;
  }
  if (!good) return fail('AccessDenied', `the Signature does not verify with public key ${c.keyPairId}`);
  if (req.nowSec >= statement.dateLessThan)
    return fail('AccessDenied', `expired at ${new Date(statement.dateLessThan * 1000).toISOString()} (DateLessThan)`);
  if (statement.dateGreaterThan !== undefined && req.nowSec <= statement.dateGreaterThan)
    return fail(
      'AccessDenied',
      `not valid before ${new Date(statement.dateGreaterThan * 1000).toISOString()} (DateGreaterThan)`,
    );
  if (statement.ipAddress && !cidrContains(statement.ipAddress, req.clientIp))
    return fail('AccessDenied', `viewer ${req.clientIp} is outside ${statement.ipAddress.text} (IpAddress)`);
  if (c.policy !== undefined && statement.resource !== undefined && !resourceMatches(statement.resource, url))
    return fail('AccessDenied', `Resource ${statement.resource} does not match ${formatUrl(url)}`);
  return { ok: true, via: c.via, keyPairId: c.keyPairId };
}

export function formatUrl(u: UrlParts): string {
  return `${u.scheme}://${u.host}${u.path}${u.query ? `?${u.query}` : ''}`;
}

/** The raw query without CloudFront's signing parameters, other parameters as sent and in order. */
export function stripSignedParams(query: string): string {
  if (query === '') return query;
  return query
    .split('&')
    .filter((pair) => pair !== '' && !SIGNING_PARAMS.has(safeDecode(pair.split('=', 1)[0]!)))
    .join('&');
}

/** A Cookie header value without the `CloudFront-*` signing cookies ('' when nothing is left). */
export function stripSignedCookies(header: string): string {
  return header
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s !== '' && !SIGNING_COOKIES.has(s.split('=', 1)[0]!))
    .join('; ');
}

function fromUrl(params: Map<string, string>): Credentials {
  const c: Credentials = { via: 'url' };
  const set = (k: Exclude<keyof Credentials, 'via'>, n: string) => {
    const v = params.get(n);
    if (v !== undefined && v !== '') c[k] = v;
  };
  set('expires', 'Expires');
  set('policy', 'Policy');
  set('signature', 'Signature');
  set('keyPairId', 'Key-Pair-Id');
  set('hashAlgorithm', 'Hash-Algorithm');
  return c;
}

function fromCookies(headers: readonly string[]): Credentials {
  const c: Credentials = { via: 'cookie' };
  const names: Record<string, Exclude<keyof Credentials, 'via'>> = {
    'CloudFront-Expires': 'expires',
    'CloudFront-Policy': 'policy',
    'CloudFront-Signature': 'signature',
    'CloudFront-Key-Pair-Id': 'keyPairId',
    'CloudFront-Hash-Algorithm': 'hashAlgorithm',
  };
  for (const h of headers) {
    for (const part of h.split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      const field = names[part.slice(0, eq).trim()];
      if (!field) continue;
      let v = part.slice(eq + 1).trim();
      if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
      if (v !== '' && c[field] === undefined) c[field] = v;
    }
  }
  return c;
}

/** First value of each parameter, names and values percent-decoded. */
function parseQuery(query: string): Map<string, string> {
  const out = new Map<string, string>();
  if (query === '') return out;
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const name = safeDecode(eq < 0 ? pair : pair.slice(0, eq));
    if (!out.has(name)) out.set(name, eq < 0 ? '' : safeDecode(pair.slice(eq + 1)));
  }
  return out;
}

function safeDecode(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

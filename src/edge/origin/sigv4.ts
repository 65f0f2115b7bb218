/**
 * @module edge/origin/sigv4
 * Origin access control (CloudFront's OAC, spec 8.4 `originAccessControlConfig`): the origin
 * request to an S3-compatible origin is signed with AWS Signature Version 4, header form, the
 * way CloudFront signs for a bucket that only it may read. The signing behavior decides:
 * `always` signs every request (a viewer's own Authorization header is replaced), `no-override`
 * signs unless the request already carries an Authorization header (which is then sent as is),
 * `never` signs nothing.
 *
 * The signed request: Host (the origin's own authority: a bucket answers to its host name, not
 * the viewer's), X-Amz-Date, X-Amz-Content-SHA256 (of a buffered body; `UNSIGNED-PAYLOAD` for a streamed one) and, with
 * temporary credentials, X-Amz-Security-Token; the canonical URI is each path segment decoded
 * once and encoded again as RFC 3986 says (S3 neither normalises nor double-encodes), the
 * canonical query string sorted by encoded name and value.
 */
import { createHash, createHmac } from 'node:crypto';
import type { Clock } from '../../shared/clock.js';
import type { CfHeaders } from '../../shared/lambda-edge/index.js';
import type { OriginAccessPlan, OriginPlan } from '../config/plan.js';
import type { OriginRequest } from './types.js';

const ALGORITHM = 'AWS4-HMAC-SHA256';

/** encodeURIComponent plus the four characters RFC 3986 reserves that it leaves alone. */
function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decodeOnce(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The canonical URI of `path` (already percent-encoded as sent). */
export function canonicalUri(path: string): string {
  return path
    .split('/')
    .map((seg) => rfc3986(decodeOnce(seg)))
    .join('/');
}

/** The canonical query string of a raw query string (without `?`). */
export function canonicalQuery(qs: string): string {
  if (qs === '') return '';
  return qs
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const i = p.indexOf('=');
      const k = i < 0 ? p : p.slice(0, i);
      const v = i < 0 ? '' : p.slice(i + 1);
      return [rfc3986(decodeOnce(k.replace(/\+/g, '%20'))), rfc3986(decodeOnce(v.replace(/\+/g, '%20')))] as const;
    })
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
const sha256Hex = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** `20261207T163000Z` */
function amzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function authority(o: Pick<OriginPlan, 'domainName' | 'port' | 'protocol'>): string {
  const host = o.domainName.includes(':') ? `[${o.domainName}]` : o.domainName;
  const dflt = o.protocol === 'https' ? 443 : 80;
  return o.port === dflt ? host : `${host}:${o.port}`;
}

function set(h: CfHeaders, lower: string, key: string, value: string): void {
  h[lower] = [{ key, value }];
}

/**
 * Sign `req` for `origin` in place (its headers), per the origin's access control; returns
 * whether it was signed. `path` is the request target's path as it will be sent (origin path
 * included, without the query string).
 */
export function signOriginRequest(
  origin: OriginPlan & { accessControl: OriginAccessPlan },
  req: OriginRequest,
  path: string,
  clock: Clock,
): boolean {
  const ac = origin.accessControl;
  if (ac.signingBehavior === 'never') return false;
  if (ac.signingBehavior === 'no-override' && req.headers.authorization?.length) return false;
  const h = req.headers;
  delete h.authorization;
  const date = amzDate(clock.now());
  const day = date.slice(0, 8);
  // A streamed body is not held, so it cannot be hashed first: S3 takes UNSIGNED-PAYLOAD for it.
  const payload =
    req.body === undefined ? sha256Hex('') : Buffer.isBuffer(req.body) ? sha256Hex(req.body) : 'UNSIGNED-PAYLOAD';
  set(h, 'host', 'Host', authority(origin));
  set(h, 'x-amz-date', 'X-Amz-Date', date);
  set(h, 'x-amz-content-sha256', 'X-Amz-Content-SHA256', payload);
  if (ac.keys.sessionToken) set(h, 'x-amz-security-token', 'X-Amz-Security-Token', ac.keys.sessionToken);
  else delete h['x-amz-security-token'];
  const signed = [
    'host',
    'x-amz-content-sha256',
    'x-amz-date',
    ...(ac.keys.sessionToken ? ['x-amz-security-token'] : []),
  ];
  const canonicalRequest = [
    req.method,
    canonicalUri(path),
    canonicalQuery(req.querystring),
    signed.map((n) => `${n}:${h[n]![0]!.value.trim()}\n`).join(''),
    signed.join(';'),
    payload,
  ].join('\n');
  const scope = `${day}/${ac.region}/${ac.service}/aws4_request`;
  const stringToSign = [ALGORITHM, date, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${ac.keys.secretAccessKey}`, day), ac.region), ac.service), 'aws4_request');
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  set(
    h,
    'authorization',
    'Authorization',
    `${ALGORITHM} Credential=${ac.keys.accessKeyId}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signature}`,
  );
  return true;
}

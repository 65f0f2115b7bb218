/**
 * @module edge/tier/protocol
 * What a PoP and its regional edge cache agree on (DESIGN 4, tiered caching; CloudFront's
 * regional edge cache, an origin shield): the PoP sends the request it would send the origin,
 * exactly as the cache and origin request policies and the origin-request function made it, plus
 * two headers: the origin to fetch it from (`x-verge-tier-target`) and the shared secret
 * (`x-verge-tier-auth`) without which a regional refuses, so no viewer can use it as an open proxy.
 * A regional that could not reach the origin says why in `x-verge-tier-error` (an ORIGIN_* code).
 */
import { VergeError } from '../../shared/errors.js';
import type { OriginPlan } from '../config/plan.js';

export const TIER_TARGET = 'x-verge-tier-target';
export const TIER_AUTH = 'x-verge-tier-auth';
export const TIER_ERROR = 'x-verge-tier-error';
/** `hit` or `miss` at the regional: on the PoP's response from it, never passed to viewers. */
export const TIER_STATUS = 'x-verge-tier';

/** The parts of an origin a regional needs to fetch from it (custom headers are already in the request). */
type TargetWire = Pick<
  OriginPlan,
  | 'id'
  | 'domainName'
  | 'port'
  | 'protocol'
  | 'originPath'
  | 'connectionAttempts'
  | 'connectionTimeoutMs'
  | 'readTimeoutMs'
  | 'keepaliveTimeoutMs'
>;

export function encodeTarget(o: OriginPlan): string {
  const w: TargetWire = {
    id: o.id,
    domainName: o.domainName,
    port: o.port,
    protocol: o.protocol,
    originPath: o.originPath,
    connectionAttempts: o.connectionAttempts,
    connectionTimeoutMs: o.connectionTimeoutMs,
    readTimeoutMs: o.readTimeoutMs,
    keepaliveTimeoutMs: o.keepaliveTimeoutMs,
  };
  return Buffer.from(JSON.stringify(w)).toString('base64url');
}

const bad = (why: string) => new VergeError('REQUEST_MALFORMED', `${TIER_TARGET}: ${why}`);
const int = (v: unknown, lo: number, hi: number) => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;

/** The origin a tier request names; REQUEST_MALFORMED when the header is not one `encodeTarget` wrote. */
export function decodeTarget(header: string): OriginPlan {
  let w: Partial<TargetWire>;
  try {
    w = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Partial<TargetWire>;
  } catch {
    throw bad('not base64url JSON');
  }
  if (typeof w.id !== 'string' || typeof w.domainName !== 'string' || !/^[A-Za-z0-9.:_-]{1,253}$/.test(w.domainName))
    throw bad('id and domainName must be names');
  if (!int(w.port, 1, 65535)) throw bad('port must be 1-65535');
  if (w.protocol !== 'http' && w.protocol !== 'https') throw bad('protocol must be http or https');
  if (typeof w.originPath !== 'string' || !/^(\/[^?#]*[^/])?$/.test(w.originPath))
    throw bad('originPath is not a path');
  if (!int(w.connectionAttempts, 1, 3) || !int(w.connectionTimeoutMs, 1, 10_000)) throw bad('connection settings');
  if (!int(w.readTimeoutMs, 1, 180_000) || !int(w.keepaliveTimeoutMs, 1, 180_000)) throw bad('timeouts');
  return { ...(w as TargetWire), kind: 'custom', customHeaders: [] };
}

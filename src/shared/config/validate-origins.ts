/**
 * @module shared/config/validate-origins
 * Validation of `origins[]` (custom HTTP origins and directory buckets) and `originGroups[]`,
 * with CloudFront's ranges and limits (spec 4.3, 7.7) and its custom-header rules (spec 3.1).
 */
import { isDisallowedHeader } from '../lambda-edge/contract.js';
import {
  FAILOVER_STATUS_CODES,
  LIMITS,
  ORIGIN_CUSTOM_HEADER_DENYLIST,
  ORIGIN_CUSTOM_HEADER_DENY_PREFIXES,
} from './defaults.js';
import {
  HEADER_NAME,
  HEADER_NAME_TEXT,
  type Problems,
  at,
  checkArray,
  checkEnum,
  checkInt,
  checkObject,
  checkString,
  checkUnique,
  isObj,
} from './fields.js';

export const ID_OPTS = {
  min: 1,
  max: 128,
  pattern: /^[A-Za-z0-9][A-Za-z0-9._~-]*$/,
  patternText: 'use letters, digits and . _ ~ - (starting with a letter or digit)',
};
/** A DNS name, an IPv4 address, or an IPv6 literal (with or without brackets). */
export const HOST_OPTS = {
  min: 1,
  max: 253,
  pattern:
    /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?|\[?[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\]?)$/,
  patternText: 'must be a host name or an IP address, without scheme, port or path',
};

const CUSTOM_FIELDS = [
  'domainName',
  'port',
  'protocol',
  'connectionAttempts',
  'connectionTimeout',
  'readTimeout',
  'keepaliveTimeout',
];
const ORIGIN_FIELDS = ['id', 'originPath', 'customHeaders', 'bucket', ...CUSTOM_FIELDS];

/** Validate `origins`; returns every string id (for reference checks). */
export function validateOrigins(p: Problems, v: unknown, path: string): string[] {
  const list = checkArray(p, v, path, LIMITS.origins, 1);
  if (!list) return [];
  checkUnique(p, list, path, 'origin id', (o) => (isObj(o) && typeof o.id === 'string' ? o.id : undefined));
  const ids: string[] = [];
  list.forEach((item, i) => {
    const id = validateOrigin(p, item, at(path, i));
    if (id !== undefined) ids.push(id);
  });
  return ids;
}

function validateOrigin(p: Problems, v: unknown, path: string): string | undefined {
  const o = checkObject(p, v, path, ORIGIN_FIELDS, ['id']);
  if (!o) return undefined;
  if (o.id !== undefined) checkString(p, o.id, at(path, 'id'), ID_OPTS);
  if (o.bucket !== undefined) {
    const b = checkObject(p, o.bucket, at(path, 'bucket'), ['path'], ['path']);
    if (b?.path !== undefined) checkString(p, b.path, at(at(path, 'bucket'), 'path'), { min: 1 });
    for (const f of CUSTOM_FIELDS) {
      if (o[f] !== undefined) p.add(at(path, f), `applies only to custom origins, not to a bucket origin`);
    }
  } else if (o.domainName === undefined) {
    p.add(at(path, 'domainName'), 'is required (or give "bucket" for a directory-backed origin)');
  } else {
    checkString(p, o.domainName, at(path, 'domainName'), HOST_OPTS);
  }
  if (o.port !== undefined) checkInt(p, o.port, at(path, 'port'), 1, 65535);
  if (o.protocol !== undefined) checkEnum(p, o.protocol, at(path, 'protocol'), ['http', 'https']);
  const range = (key: string, [min, max]: readonly [number, number]) => {
    if (o[key] !== undefined) checkInt(p, o[key], at(path, key), min, max);
  };
  range('connectionAttempts', LIMITS.connectionAttempts);
  range('connectionTimeout', LIMITS.connectionTimeoutSec);
  range('readTimeout', LIMITS.readTimeoutSec);
  range('keepaliveTimeout', LIMITS.keepaliveTimeoutSec);
  if (o.originPath !== undefined) checkOriginPath(p, o.originPath, at(path, 'originPath'));
  if (o.customHeaders !== undefined) checkOriginHeaders(p, o.customHeaders, at(path, 'customHeaders'));
  // Any string id counts for references, so a malformed id is reported once, not again at each use.
  return typeof o.id === 'string' ? o.id : undefined;
}

/** CloudFront: the origin path starts with `/` and does not end with one. */
function checkOriginPath(p: Problems, v: unknown, path: string): void {
  const s = checkString(p, v, path, { max: LIMITS.originPathLength });
  if (s === undefined || s === '') return;
  if (!s.startsWith('/')) p.add(path, 'must start with "/"');
  else if (s.endsWith('/')) p.add(path, 'must not end with "/"');
  else if (/[\s?#]/.test(s)) p.add(path, 'must not contain spaces, "?" or "#"');
}

function isDeniedOriginHeader(lower: string): boolean {
  return (
    isDisallowedHeader(lower) ||
    ORIGIN_CUSTOM_HEADER_DENYLIST.includes(lower) ||
    ORIGIN_CUSTOM_HEADER_DENY_PREFIXES.some((pre) => lower.startsWith(pre))
  );
}

function checkOriginHeaders(p: Problems, v: unknown, path: string): void {
  if (!isObj(v)) {
    p.add(path, 'must be an object of header name → value');
    return;
  }
  const names = Object.keys(v);
  if (names.length > LIMITS.customHeadersPerOrigin) {
    p.add(path, `must have at most ${LIMITS.customHeadersPerOrigin} headers (got ${names.length})`);
  }
  let total = 0;
  const seen = new Set<string>();
  for (const name of names) {
    const hp = at(path, name);
    const lower = name.toLowerCase();
    total += name.length;
    if (!HEADER_NAME.test(name)) p.add(hp, `${JSON.stringify(name)} is not a valid header name: ${HEADER_NAME_TEXT}`);
    else if (name.length > LIMITS.customHeaderNameLength)
      p.add(hp, `header name must be at most ${LIMITS.customHeaderNameLength} characters`);
    else if (isDeniedOriginHeader(lower))
      p.add(hp, `CloudFront does not allow ${name} as an origin custom header (spec 3.1)`);
    else if (seen.has(lower)) p.add(hp, `duplicate header ${name} (header names are case-insensitive)`);
    seen.add(lower);
    const value = checkString(p, v[name], hp, { max: LIMITS.customHeaderValueLength });
    if (value !== undefined) total += value.length;
  }
  if (total > LIMITS.customHeadersTotalLength) {
    p.add(
      path,
      `header names and values together must be at most ${LIMITS.customHeadersTotalLength} characters (got ${total})`,
    );
  }
}

/** Validate `originGroups`; members must be origins (not groups). Returns every string group id. */
export function validateOriginGroups(p: Problems, v: unknown, path: string, originIds: readonly string[]): string[] {
  const list = checkArray(p, v, path, LIMITS.originGroups);
  if (!list) return [];
  checkUnique(p, list, path, 'origin group id', (g) => (isObj(g) && typeof g.id === 'string' ? g.id : undefined));
  const ids: string[] = [];
  list.forEach((item, i) => {
    const gp = at(path, i);
    const g = checkObject(p, item, gp, ['id', 'members', 'failoverCriteria'], ['id', 'members', 'failoverCriteria']);
    if (!g) return;
    if (g.id !== undefined) checkString(p, g.id, at(gp, 'id'), ID_OPTS);
    const id = typeof g.id === 'string' ? g.id : undefined;
    if (id !== undefined) {
      if (originIds.includes(id)) p.add(at(gp, 'id'), `${JSON.stringify(id)} is already an origin id`);
      else ids.push(id);
    }
    if (g.members !== undefined) checkMembers(p, g.members, at(gp, 'members'), originIds);
    const fc =
      g.failoverCriteria === undefined
        ? undefined
        : checkObject(p, g.failoverCriteria, at(gp, 'failoverCriteria'), ['statusCodes'], ['statusCodes']);
    if (fc?.statusCodes !== undefined) {
      const sp = at(at(gp, 'failoverCriteria'), 'statusCodes');
      const codes = checkArray(p, fc.statusCodes, sp, FAILOVER_STATUS_CODES.length, 1);
      codes?.forEach((c, j) => {
        if (typeof c !== 'number' || !FAILOVER_STATUS_CODES.includes(c)) {
          p.add(at(sp, j), `must be one of ${FAILOVER_STATUS_CODES.join(', ')} (got ${JSON.stringify(c)})`);
        }
      });
      if (codes) checkUnique(p, codes, sp, 'status code', (c) => (typeof c === 'number' ? String(c) : undefined));
    }
  });
  return ids;
}

function checkMembers(p: Problems, v: unknown, path: string, originIds: readonly string[]): void {
  const members = checkArray(p, v, path, 2, 2);
  if (!members) return;
  members.forEach((m, j) => {
    const id = checkString(p, m, at(path, j), { min: 1 });
    if (id !== undefined && !originIds.includes(id)) p.add(at(path, j), `no origin has id ${JSON.stringify(id)}`);
  });
  if (members[0] === members[1]) p.add(at(path, 1), 'the secondary origin must differ from the primary');
}

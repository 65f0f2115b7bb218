/**
 * @module shared/config/rules
 * The distribution rules JSON Schema cannot say (schema.ts says what each field may hold): unique
 * ids and aliases, origin groups of origins that exist, bucket origins without custom-origin
 * fields, CloudFront's origin custom-header rules (spec 3.1), origin paths, country codes, RSA
 * 2048-bit keys, and continuous deployment's pairs (peers 2.2). Behaviors: rules-behaviors.ts.
 */
import { createPublicKey } from 'node:crypto';
import { isDisallowedHeader } from '../lambda-edge/contract.js';
import { at } from '../schema/check.js';
import { COUNTRY_CODES } from './country-codes.js';
import { LIMITS, ORIGIN_CUSTOM_HEADER_DENYLIST, ORIGIN_CUSTOM_HEADER_DENY_PREFIXES } from './defaults.js';
import { items, unique } from './rules-behaviors.js';
import { type Obj, type RuleSink, isObj } from './rules-policies.js';
import { CUSTOM_ORIGIN_FIELDS, MAX_STAGING_WEIGHT } from './schema.js';
import { HEADER_NAME_PATTERN, HEADER_NAME_TEXT } from './schema-policies.js';

const idOf = (v: unknown) => (isObj(v) && typeof v.id === 'string' ? v.id : undefined);

/** Origins' rules; returns every string id (a malformed id is reported once, not again at each use). */
export function originRules(p: RuleSink, dist: Obj): string[] {
  const path = '$.origins';
  const list = items(p, dist.origins, path);
  unique(p, list, path, 'origin id', idOf);
  list.forEach((o, i) => isObj(o) && originFieldRules(p, o, at(path, i)));
  return list.map(idOf).filter((x): x is string => x !== undefined);
}

function originFieldRules(p: RuleSink, o: Obj, path: string): void {
  if (o.bucket !== undefined) {
    for (const f of CUSTOM_ORIGIN_FIELDS)
      if (o[f] !== undefined) p.add(at(path, f), 'applies only to custom origins, not to a bucket origin');
  } else if (o.domainName === undefined) {
    p.add(at(path, 'domainName'), 'is required (or give "bucket" for a directory-backed origin)');
  }
  // CloudFront: the origin path starts with `/` and does not end with one.
  const op = at(path, 'originPath');
  if (typeof o.originPath === 'string' && o.originPath !== '' && !p.bad(op)) {
    if (!o.originPath.startsWith('/')) p.add(op, 'must start with "/"');
    else if (o.originPath.endsWith('/')) p.add(op, 'must not end with "/"');
    else if (/[\s?#]/.test(o.originPath)) p.add(op, 'must not contain spaces, "?" or "#"');
  }
  if (isObj(o.customHeaders)) originHeaderRules(p, o.customHeaders, at(path, 'customHeaders'));
  const ac = o.originAccessControl;
  if (isObj(ac)) {
    if (o.bucket !== undefined)
      p.add(at(path, 'originAccessControl'), 'applies to an S3-compatible origin given by domainName, not to a directory bucket'); // prettier-ignore
    const tp = at(at(path, 'originAccessControl'), 'originType');
    if (typeof ac.originType === 'string' && ac.originType !== 's3' && !p.bad(tp))
      p.add(tp, `${ac.originType} origins are AWS services Verge does not sign for: only "s3" (an S3-compatible origin) is supported`); // prettier-ignore
  }
}

const HEADER_NAME = new RegExp(HEADER_NAME_PATTERN);

function originHeaderRules(p: RuleSink, v: Obj, path: string): void {
  const names = Object.keys(v);
  if (names.length > LIMITS.customHeadersPerOrigin)
    p.add(path, `must have at most ${LIMITS.customHeadersPerOrigin} headers (got ${names.length})`);
  let total = 0;
  const seen = new Set<string>();
  for (const name of names) {
    const hp = at(path, name);
    const lower = name.toLowerCase();
    total += name.length + (typeof v[name] === 'string' ? (v[name] as string).length : 0);
    const denied = isDisallowedHeader(lower) || ORIGIN_CUSTOM_HEADER_DENYLIST.includes(lower) || ORIGIN_CUSTOM_HEADER_DENY_PREFIXES.some((pre) => lower.startsWith(pre)); // prettier-ignore
    if (!HEADER_NAME.test(name)) p.add(hp, `${JSON.stringify(name)} is not a valid header name: ${HEADER_NAME_TEXT}`);
    else if (name.length > LIMITS.customHeaderNameLength)
      p.add(hp, `header name must be at most ${LIMITS.customHeaderNameLength} characters`); // prettier-ignore
    else if (denied) p.add(hp, `CloudFront does not allow ${name} as an origin custom header (spec 3.1)`);
    else if (seen.has(lower)) p.add(hp, `duplicate header ${name} (header names are case-insensitive)`);
    seen.add(lower);
  }
  if (total > LIMITS.customHeadersTotalLength)
    p.add(path, `header names and values together must be at most ${LIMITS.customHeadersTotalLength} characters (got ${total})`); // prettier-ignore
}

/** Origin groups' rules: members are origins (not groups). Returns every usable group id. */
export function originGroupRules(p: RuleSink, dist: Obj, originIds: readonly string[]): string[] {
  const path = '$.originGroups';
  const list = items(p, dist.originGroups, path);
  unique(p, list, path, 'origin group id', idOf);
  const ids: string[] = [];
  list.forEach((g, i) => {
    if (!isObj(g)) return;
    const gp = at(path, i);
    const id = idOf(g);
    if (id !== undefined && originIds.includes(id))
      p.add(at(gp, 'id'), `${JSON.stringify(id)} is already an origin id`);
    else if (id !== undefined) ids.push(id);
    const mp = at(gp, 'members');
    const members = items(p, g.members, mp);
    members.forEach((m, j) => {
      if (typeof m === 'string' && m !== '' && !originIds.includes(m)) p.add(at(mp, j), `no origin has id ${JSON.stringify(m)}`); // prettier-ignore
    });
    if (members.length === 2 && members[0] === members[1]) p.add(at(mp, 1), 'the secondary origin must differ from the primary'); // prettier-ignore
    const sp = at(at(gp, 'failoverCriteria'), 'statusCodes');
    const codes = isObj(g.failoverCriteria) ? items(p, g.failoverCriteria.statusCodes, sp) : [];
    unique(p, codes, sp, 'status code', (c) => (typeof c === 'number' ? String(c) : undefined));
  });
  return ids;
}

export function restrictionRules(p: RuleSink, dist: Obj): void {
  const geo = isObj(dist.restrictions) ? dist.restrictions.geoRestriction : undefined;
  if (!isObj(geo)) return;
  const gp = '$.restrictions.geoRestriction';
  const type = p.bad(at(gp, 'restrictionType')) ? undefined : (geo.restrictionType as string | undefined);
  const lp = at(gp, 'locations');
  if (geo.locations === undefined) {
    if (type !== undefined && type !== 'none') p.add(lp, `a ${type} needs at least one country code`);
    return;
  }
  const list = items(p, geo.locations, lp);
  if (!Array.isArray(geo.locations) || p.bad(lp)) return;
  if (type !== undefined && type !== 'none' && list.length === 0) return p.add(lp, 'must not be empty');
  if (type === 'none' && list.length > 0) p.add(lp, 'must be empty when restrictionType is "none"');
  list.forEach((c, i) => {
    if (typeof c === 'string' && c !== '' && !COUNTRY_CODES.has(c))
      p.add(at(lp, i), `${JSON.stringify(c)} is not an ISO 3166-1 alpha-2 country code (two upper-case letters, e.g. "US", "FR")${COUNTRY_CODES.has(c.toUpperCase()) ? ` (did you mean "${c.toUpperCase()}"?)` : ''}`); // prettier-ignore
  });
  unique(p, list, lp, 'country code', (c) => (typeof c === 'string' ? c : undefined));
}

/** Why a PEM is not a key CloudFront would take (an RSA 2048-bit public key), or undefined. */
export function publicKeyProblem(pem: string): string | undefined {
  let key;
  try {
    key = createPublicKey(pem);
  } catch (e) {
    return `is not a PEM public key (${(e as Error).message.replace(/^error:[0-9A-F]+:/i, '')})`;
  }
  if (key.asymmetricKeyType !== 'rsa') return `must be an RSA public key (got ${key.asymmetricKeyType ?? 'unknown'})`;
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits !== 2048) return `must be a 2048-bit RSA key, as CloudFront requires (got ${bits ?? 'unknown'} bits)`;
  return undefined;
}

/** Inline key groups (static mode); returns the ids that are usable. */
export function keyGroupRules(p: RuleSink, dist: Obj): string[] {
  const path = '$.keyGroups';
  const list = items(p, dist.keyGroups, path);
  unique(p, list, path, 'key group id', idOf);
  const keyIds = new Map<string, string>();
  const ids: string[] = [];
  list.forEach((g, i) => {
    if (!isObj(g)) return;
    const gp = at(path, i);
    const kp = at(gp, 'publicKeys');
    if (!Array.isArray(g.publicKeys) || p.bad(kp)) return;
    g.publicKeys.forEach((k, j) => {
      if (!isObj(k)) return;
      const pp = at(kp, j);
      if (typeof k.encodedKey === 'string' && k.encodedKey !== '' && !p.bad(at(pp, 'encodedKey'))) {
        const problem = publicKeyProblem(k.encodedKey);
        if (problem) p.add(at(pp, 'encodedKey'), problem);
      }
      const kid = idOf(k);
      if (kid === undefined || p.bad(at(pp, 'id'))) return;
      // Key-Pair-Id names one key: the same id in two groups must be the same key.
      const pem = typeof k.encodedKey === 'string' ? k.encodedKey.trim() : '';
      const seen = keyIds.get(kid);
      if (seen !== undefined && seen !== pem) p.add(at(pp, 'id'), `public key id ${JSON.stringify(kid)} is used for two different keys`); // prettier-ignore
      keyIds.set(kid, pem);
    });
    const id = idOf(g);
    if (id !== undefined && !p.bad(at(gp, 'id'))) ids.push(id);
  });
  return ids;
}

export function aliasRules(p: RuleSink, dist: Obj): void {
  const list = items(p, dist.aliases, '$.aliases');
  unique(p, list, '$.aliases', 'alias', (a) => (typeof a === 'string' ? a.toLowerCase() : undefined));
}

/** Continuous deployment (CloudFront's ContinuousDeploymentPolicy) and the staging flag. */
export function stagingRules(p: RuleSink, dist: Obj): void {
  if (dist.staging === true && Array.isArray(dist.aliases) && dist.aliases.length > 0)
    p.add('$.aliases', 'a staging distribution has no aliases: viewers reach it through its primary');
  const cd = dist.continuousDeployment;
  if (!isObj(cd)) return;
  const path = '$.continuousDeployment';
  if (typeof cd.stagingDistributionId === 'string' && cd.stagingDistributionId === dist.id)
    p.add(at(path, 'stagingDistributionId'), 'must name another distribution (the staging one), not this one');
  if ((cd.header === undefined) === (cd.weight === undefined))
    p.add(path, 'give exactly one of "header" ({ name, value }) or "weight" ({ percent })');
  const pct = isObj(cd.weight) ? cd.weight.percent : undefined;
  if (typeof pct === 'number' && Number.isInteger(pct) && pct > MAX_STAGING_WEIGHT)
    p.add(at(at(path, 'weight'), 'percent'), `${pct}% is over the limit: at most ${MAX_STAGING_WEIGHT}% of viewers go to staging (CloudFront's limit); route more with a header, or promote`); // prettier-ignore
  if (dist.staging === true) p.add(path, 'a staging distribution cannot have its own staging');
}

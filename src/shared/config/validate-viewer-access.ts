/**
 * @module shared/config/validate-viewer-access
 * Validation of the distribution settings that decide who may fetch what before any function
 * runs: the default root object, geographic restrictions (ISO 3166-1 alpha-2 codes), key groups
 * of RSA public keys, and the behaviors' trusted key groups. Self-contained (it only uses the
 * field checkers), so the later move to declared schemas can take it whole.
 */
import { createPublicKey } from 'node:crypto';
import { COUNTRY_CODES } from './country-codes.js';
import { LIMITS } from './defaults.js';
import {
  type Problems,
  at,
  checkArray,
  checkEnum,
  checkObject,
  checkString,
  checkUnique,
  didYouMean,
  isObj,
} from './fields.js';

/** CloudFront's DefaultRootObject characters [DG23 distribution-web-values-specify.md]; no leading `/`. */
const ROOT_OBJECT = {
  min: 1,
  max: LIMITS.defaultRootObjectLength,
  pattern: /^[A-Za-z0-9_.*$~"'&-][A-Za-z0-9_.*$/~"'&-]*$/,
  patternText: `use A-Z a-z 0-9 _ - . * $ / ~ " ' & and do not start with "/" (e.g. "index.html")`,
};

export const RESTRICTION_TYPES = ['allowlist', 'blocklist', 'none', 'whitelist', 'blacklist'] as const;

/** Key group and public key ids are what signers put in `Key-Pair-Id`: keep them URL- and cookie-safe. */
const KEY_ID = {
  min: 1,
  max: 128,
  pattern: /^[A-Za-z0-9_-]+$/,
  patternText: 'use letters, digits, - and _',
};

export function validateDefaultRootObject(p: Problems, v: unknown, path: string): void {
  checkString(p, v, path, ROOT_OBJECT);
}

export function validateRestrictions(p: Problems, v: unknown, path: string): void {
  const o = checkObject(p, v, path, ['geoRestriction'], ['geoRestriction']);
  if (!o || o.geoRestriction === undefined) return;
  const gp = at(path, 'geoRestriction');
  const g = checkObject(p, o.geoRestriction, gp, ['restrictionType', 'locations'], ['restrictionType']);
  if (!g) return;
  const type =
    g.restrictionType === undefined
      ? undefined
      : checkEnum(p, g.restrictionType, at(gp, 'restrictionType'), RESTRICTION_TYPES);
  if (g.locations === undefined) {
    if (type !== undefined && type !== 'none') p.add(at(gp, 'locations'), `a ${type} needs at least one country code`);
    return;
  }
  const lp = at(gp, 'locations');
  const list = checkArray(p, g.locations, lp, COUNTRY_CODES.size, type === undefined || type === 'none' ? 0 : 1);
  if (!list) return;
  if (type === 'none' && list.length > 0) p.add(lp, 'must be empty when restrictionType is "none"');
  list.forEach((c, i) => {
    const s = checkString(p, c, at(lp, i), { min: 1 });
    if (s !== undefined && !COUNTRY_CODES.has(s))
      p.add(
        at(lp, i),
        `${JSON.stringify(s)} is not an ISO 3166-1 alpha-2 country code (two upper-case letters, e.g. "US", "FR")${COUNTRY_CODES.has(s.toUpperCase()) ? ` (did you mean "${s.toUpperCase()}"?)` : ''}`,
      );
  });
  checkUnique(p, list, lp, 'country code', (c) => (typeof c === 'string' ? c : undefined));
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
export function validateKeyGroups(p: Problems, v: unknown, path: string): string[] {
  const list = checkArray(p, v, path, LIMITS.keyGroups);
  if (!list) return [];
  checkUnique(p, list, path, 'key group id', (g) => (isObj(g) && typeof g.id === 'string' ? g.id : undefined));
  const keyIds = new Map<string, string>();
  const ids: string[] = [];
  list.forEach((item, i) => {
    const gp = at(path, i);
    const g = checkObject(p, item, gp, ['id', 'name', 'comment', 'publicKeys'], ['id', 'publicKeys']);
    if (!g) return;
    const id = g.id === undefined ? undefined : checkString(p, g.id, at(gp, 'id'), KEY_ID);
    if (g.name !== undefined) checkString(p, g.name, at(gp, 'name'), { min: 1, max: 128 });
    if (g.comment !== undefined) checkString(p, g.comment, at(gp, 'comment'), { max: 128 });
    if (g.publicKeys === undefined) return;
    const kp = at(gp, 'publicKeys');
    const keys = checkArray(p, g.publicKeys, kp, LIMITS.publicKeysPerKeyGroup, 1);
    if (!keys) return;
    keys.forEach((k, j) => {
      const pp = at(kp, j);
      const o = checkObject(p, k, pp, ['id', 'name', 'encodedKey'], ['id', 'encodedKey']);
      if (!o) return;
      const kid = o.id === undefined ? undefined : checkString(p, o.id, at(pp, 'id'), KEY_ID);
      if (o.name !== undefined) checkString(p, o.name, at(pp, 'name'), { min: 1, max: 128 });
      if (o.encodedKey !== undefined) {
        const pem = checkString(p, o.encodedKey, at(pp, 'encodedKey'), { min: 1, max: 4096 });
        const problem = pem === undefined ? undefined : publicKeyProblem(pem);
        if (problem) p.add(at(pp, 'encodedKey'), problem);
      }
      if (kid === undefined) return;
      // Key-Pair-Id names one key: the same id in two groups must be the same key.
      const pem = typeof o.encodedKey === 'string' ? o.encodedKey.trim() : '';
      const seen = keyIds.get(kid);
      if (seen !== undefined && seen !== pem)
        p.add(at(pp, 'id'), `public key id ${JSON.stringify(kid)} is used for two different keys`);
      keyIds.set(kid, pem);
    });
    if (id !== undefined) ids.push(id);
  });
  return ids;
}

/** A behavior's `trustedKeyGroups`: ids of key groups that exist (`known`). */
export function validateTrustedKeyGroups(p: Problems, v: unknown, path: string, known: readonly string[]): void {
  const list = checkArray(p, v, path, LIMITS.keyGroupsPerBehavior);
  if (!list) return;
  checkUnique(p, list, path, 'key group id', (g) => (typeof g === 'string' ? g : undefined));
  list.forEach((g, i) => {
    const id = checkString(p, g, at(path, i), { min: 1 });
    if (id !== undefined && !known.includes(id))
      p.add(
        at(path, i),
        `no key group has id ${JSON.stringify(id)}${didYouMean(id, known)} (declare it in $.keyGroups, or create it with \`verge key-groups create\` in managed mode)`,
      );
  });
}

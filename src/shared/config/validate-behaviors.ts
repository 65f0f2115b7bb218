/**
 * @module shared/config/validate-behaviors
 * Validation of the default and ordered cache behaviors (spec 7.1), their function associations
 * (spec 3.5, 1.9) and the distribution's custom error responses (spec 7.8).
 */
import { CONTRACT } from '../lambda-edge/contract.js';
import { EVENT_TYPES, type EventType } from '../lambda-edge/events.js';
import { ALLOWED_METHOD_SETS, CACHED_METHOD_SETS, ERROR_RESPONSE_CODES, LIMITS } from './defaults.js';
import {
  type Obj,
  type Problems,
  at,
  checkArray,
  checkBool,
  checkEnum,
  checkInt,
  checkObject,
  checkString,
  checkUnique,
  isObj,
} from './fields.js';
import {
  RUNTIME_NAMES,
  extensionFitsRuntime,
  isCloudFrontFunction,
  resolveFunction,
  type ResolvedFunction,
} from './functions.js';
import { egressProblems } from './egress.js';
import {
  validateCachePolicy,
  validateOriginRequestPolicy,
  validateResponseHeadersPolicy,
} from './validate-policies.js';
import { validateTrustedKeyGroups } from './validate-viewer-access.js';

const BEHAVIOR_FIELDS = [
  'targetOriginId',
  'viewerProtocolPolicy',
  'allowedMethods',
  'cachedMethods',
  'compress',
  'cachePolicy',
  'originRequestPolicy',
  'responseHeadersPolicy',
  'functionAssociations',
  'trustedKeyGroups',
];

/** Spec 7.1: ≤ 255 characters of `A-Z a-z 0-9 _ - . * $ / ~ " ' @ : + &`, plus the `?` wildcard. */
const PATH_PATTERN = {
  min: 1,
  max: LIMITS.pathPatternLength,
  pattern: /^[A-Za-z0-9_.*$/~"'@:+&?-]+$/,
  patternText: `allowed characters are A-Z a-z 0-9 _ - . * ? $ / ~ " ' @ : + &`,
};

export const INCLUDE_BODY_MESSAGE =
  'The IncludeBody option can only be used with viewer-request or origin-request events.';

export interface TargetIds {
  origins: readonly string[];
  groups: readonly string[];
  /** Key groups a behavior may trust (the config's own and, in managed mode, the store's). */
  keyGroups: readonly string[];
}

export function validateDefaultBehavior(p: Problems, v: unknown, path: string, ids: TargetIds): void {
  const o = checkObject(p, v, path, [...BEHAVIOR_FIELDS, 'pathPattern'], ['targetOriginId']);
  if (!o) return;
  if (o.pathPattern !== undefined)
    p.add(
      at(path, 'pathPattern'),
      'the default cache behavior has no pathPattern (it is always "*" and evaluated last)',
    );
  validateBehaviorFields(p, o, path, ids);
}

export function validateCacheBehaviors(p: Problems, v: unknown, path: string, ids: TargetIds): void {
  const list = checkArray(p, v, path, LIMITS.cacheBehaviors);
  if (!list) return;
  checkUnique(p, list, path, 'pathPattern', (b) =>
    isObj(b) && typeof b.pathPattern === 'string' ? normalizePattern(b.pathPattern) : undefined,
  );
  list.forEach((item, i) => {
    const bp = at(path, i);
    const o = checkObject(p, item, bp, ['pathPattern', ...BEHAVIOR_FIELDS], ['pathPattern', 'targetOriginId']);
    if (!o) return;
    if (o.pathPattern !== undefined) checkString(p, o.pathPattern, at(bp, 'pathPattern'), PATH_PATTERN);
    validateBehaviorFields(p, o, bp, ids);
  });
}

/** A leading `/` is optional (spec 7.1), so `/a/*` and `a/*` are the same pattern. */
function normalizePattern(s: string): string {
  return s.startsWith('/') ? s.slice(1) : s;
}

function validateBehaviorFields(p: Problems, o: Obj, path: string, ids: TargetIds): void {
  if (o.targetOriginId !== undefined) {
    const t = checkString(p, o.targetOriginId, at(path, 'targetOriginId'), { min: 1 });
    if (t !== undefined && !ids.origins.includes(t) && !ids.groups.includes(t)) {
      p.add(at(path, 'targetOriginId'), `no origin or origin group has id ${JSON.stringify(t)}`);
    }
  }
  if (o.viewerProtocolPolicy !== undefined) {
    checkEnum(p, o.viewerProtocolPolicy, at(path, 'viewerProtocolPolicy'), [
      'allow-all',
      'redirect-to-https',
      'https-only',
    ]);
  }
  const allowed =
    o.allowedMethods === undefined
      ? ALLOWED_METHOD_SETS[0]!
      : checkMethodSet(p, o.allowedMethods, at(path, 'allowedMethods'), ALLOWED_METHOD_SETS);
  if (o.cachedMethods !== undefined) {
    const cached = checkMethodSet(p, o.cachedMethods, at(path, 'cachedMethods'), CACHED_METHOD_SETS);
    if (cached?.includes('OPTIONS') && allowed && !allowed.includes('OPTIONS')) {
      p.add(at(path, 'cachedMethods'), 'OPTIONS can be cached only when allowedMethods includes OPTIONS');
    }
  }
  if (o.compress !== undefined) checkBool(p, o.compress, at(path, 'compress'));
  if (o.cachePolicy !== undefined) validateCachePolicy(p, o.cachePolicy, at(path, 'cachePolicy'));
  if (o.originRequestPolicy !== undefined)
    validateOriginRequestPolicy(p, o.originRequestPolicy, at(path, 'originRequestPolicy'));
  if (o.responseHeadersPolicy !== undefined)
    validateResponseHeadersPolicy(p, o.responseHeadersPolicy, at(path, 'responseHeadersPolicy'));
  if (o.functionAssociations !== undefined)
    validateAssociations(p, o.functionAssociations, at(path, 'functionAssociations'));
  if (o.trustedKeyGroups !== undefined)
    validateTrustedKeyGroups(p, o.trustedKeyGroups, at(path, 'trustedKeyGroups'), ids.keyGroups);
}

/** Methods compared as a set (order and case of the input do not matter). */
function checkMethodSet(
  p: Problems,
  v: unknown,
  path: string,
  sets: readonly (readonly string[])[],
): readonly string[] | undefined {
  const arr = checkArray(p, v, path, 7, 1);
  if (!arr) return undefined;
  if (!arr.every((m) => typeof m === 'string')) {
    p.add(path, 'must be an array of method names');
    return undefined;
  }
  const given = new Set((arr as string[]).map((m) => m.toUpperCase()));
  const match = sets.find((s) => s.length === given.size && s.every((m) => given.has(m)));
  if (!match) p.add(path, `must be one of ${sets.map((s) => `[${s.join(',')}]`).join(' or ')}`);
  return match;
}

interface Assoc {
  index: number;
  eventType: EventType;
  cff: boolean;
}

function validateAssociations(p: Problems, v: unknown, path: string): void {
  const list = checkArray(p, v, path, EVENT_TYPES.length);
  if (!list) return;
  const seen: Assoc[] = [];
  list.forEach((item, i) => {
    const a = validateAssociation(p, item, at(path, i));
    if (!a) return;
    const prev = seen.find((s) => s.eventType === a.eventType);
    // Spec 3.5: one function association per event type per cache behavior.
    if (prev)
      p.add(
        at(at(path, i), 'eventType'),
        `only one function can be associated with ${a.eventType} (already at ${at(path, prev.index)})`,
      );
    // Spec 3.5: CloudFront Functions and Lambda@Edge cannot be mixed on the viewer events.
    const viewerOther = seen.find((s) => s.eventType.startsWith('viewer-') && s.cff !== a.cff);
    if (a.eventType.startsWith('viewer-') && viewerOther) {
      p.add(
        at(path, i),
        `CloudFront Functions and Lambda@Edge functions cannot be mixed on the viewer events of one cache behavior (see ${at(path, viewerOther.index)})`,
      );
    }
    seen.push({ ...a, index: i });
  });
}

function validateAssociation(p: Problems, v: unknown, path: string): Omit<Assoc, 'index'> | undefined {
  const o = checkObject(p, v, path, ['eventType', 'function', 'includeBody'], ['eventType', 'function']);
  if (!o) return undefined;
  const eventType =
    o.eventType === undefined ? undefined : checkEnum(p, o.eventType, at(path, 'eventType'), EVENT_TYPES);
  const fn = o.function === undefined ? undefined : validateFunction(p, o.function, at(path, 'function'));
  if (o.includeBody !== undefined && checkBool(p, o.includeBody, at(path, 'includeBody')) === true && eventType) {
    if (!CONTRACT[eventType].includeBodyAllowed) p.add(at(path, 'includeBody'), INCLUDE_BODY_MESSAGE);
    else if (fn && isCloudFrontFunction(fn.runtime))
      p.add(at(path, 'includeBody'), 'CloudFront Functions cannot read the request body (spec 8.3)');
  }
  if (!eventType || !fn) return undefined;
  const cff = isCloudFrontFunction(fn.runtime);
  if (cff && !eventType.startsWith('viewer-')) {
    p.add(
      at(path, 'eventType'),
      `CloudFront Functions can only be associated with viewer-request or viewer-response events (got ${eventType})`,
    );
  }
  return { eventType, cff };
}

const FUNCTION_FIELDS = [
  'path',
  'handler',
  'runtime',
  'name',
  'env',
  'secretNames',
  'profile',
  'timeoutMs',
  'memoryMB',
  'concurrency',
  'version',
  'kvs',
  'egress',
];

/** Check a `function` field; returns its resolved runtime when the path and runtime are usable. */
function validateFunction(p: Problems, v: unknown, path: string): { runtime: ResolvedFunction['runtime'] } | undefined {
  if (typeof v === 'string') {
    if (checkString(p, v, path, { min: 1 }) === undefined) return undefined;
    return { runtime: resolveFunction(v).runtime };
  }
  const o = checkObject(p, v, path, FUNCTION_FIELDS, ['path']);
  if (!o) return undefined;
  const fnPath = o.path === undefined ? undefined : checkString(p, o.path, at(path, 'path'), { min: 1 });
  const runtime = o.runtime === undefined ? undefined : checkEnum(p, o.runtime, at(path, 'runtime'), RUNTIME_NAMES);
  if (o.handler !== undefined) {
    checkString(p, o.handler, at(path, 'handler'), {
      min: 3,
      max: 128,
      pattern: /^[\w./-]+\.[A-Za-z_$][\w$]*$/,
      patternText: 'use file.export, e.g. index.handler',
    });
  }
  if (o.name !== undefined)
    checkString(p, o.name, at(path, 'name'), {
      min: 1,
      max: 64,
      pattern: /^[A-Za-z0-9_-]+$/,
      patternText: 'use letters, digits, - and _',
    });
  const env = o.env === undefined ? undefined : checkEnv(p, o.env, at(path, 'env'));
  if (o.secretNames !== undefined) {
    const names = checkArray(p, o.secretNames, at(path, 'secretNames'), 100);
    names?.forEach((n, i) => {
      const s = checkString(p, n, at(at(path, 'secretNames'), i), { min: 1 });
      if (s !== undefined && env && !(s in env))
        p.add(at(at(path, 'secretNames'), i), `${JSON.stringify(s)} is not a key of env`);
    });
  }
  if (o.profile !== undefined) checkEnum(p, o.profile, at(path, 'profile'), ['cloudfront', 'relaxed']);
  if (o.timeoutMs !== undefined) checkInt(p, o.timeoutMs, at(path, 'timeoutMs'), 1, LIMITS.maxTimeoutMs);
  if (o.memoryMB !== undefined) checkInt(p, o.memoryMB, at(path, 'memoryMB'), LIMITS.minMemoryMB, LIMITS.maxMemoryMB);
  if (o.concurrency !== undefined) checkInt(p, o.concurrency, at(path, 'concurrency'), 1, 1000);
  if (o.version !== undefined)
    checkString(p, o.version, at(path, 'version'), {
      min: 1,
      max: 16,
      pattern: /^(\d+|\$LATEST)$/,
      patternText: 'use a version number or $LATEST',
    });
  if (o.egress !== undefined) for (const e of egressProblems(o.egress, at(path, 'egress'))) p.add(e.path, e.message);
  if (fnPath === undefined || (o.runtime !== undefined && runtime === undefined)) return undefined;
  const resolved = resolveFunction({ path: fnPath, ...(runtime ? { runtime } : {}) });
  if (!extensionFitsRuntime(fnPath, resolved.runtime)) {
    p.add(
      at(path, o.runtime === undefined ? 'path' : 'runtime'),
      `runtime ${resolved.runtime} does not fit the file ${fnPath} (.py files use runtime python)`,
    );
  }
  if (o.kvs !== undefined) {
    const kp = at(path, 'kvs');
    const k = checkObject(p, o.kvs, kp, ['id', 'path'], ['id']);
    if (k?.id !== undefined)
      checkString(p, k.id, at(kp, 'id'), {
        min: 1,
        max: 64,
        pattern: /^[A-Za-z0-9_-]+$/,
        patternText: 'KeyValueStore names use 1–64 of [a-zA-Z0-9-_] (spec 4.2)',
      });
    if (k?.path !== undefined) checkString(p, k.path, at(kp, 'path'), { min: 1 });
    if (resolved.runtime !== 'cloudfront-js-2.0')
      p.add(kp, 'a KeyValueStore needs runtime cloudfront-js-2.0 (spec 4.2)');
  }
  return { runtime: resolved.runtime };
}

function checkEnv(p: Problems, v: unknown, path: string): Obj | undefined {
  if (!isObj(v)) {
    p.add(path, 'must be an object of name → string value');
    return undefined;
  }
  for (const [k, val] of Object.entries(v)) {
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(k))
      p.add(
        at(path, k),
        `${JSON.stringify(k)} is not a valid environment variable name (letters, digits and _, starting with a letter)`,
      );
    else checkString(p, val, at(path, k));
  }
  return v;
}

export function validateCustomErrorResponses(p: Problems, v: unknown, path: string): void {
  const list = checkArray(p, v, path, ERROR_RESPONSE_CODES.length);
  if (!list) return;
  checkUnique(p, list, path, 'errorCode', (e) =>
    isObj(e) && typeof e.errorCode === 'number' ? String(e.errorCode) : undefined,
  );
  list.forEach((item, i) => {
    const ep = at(path, i);
    const o = checkObject(
      p,
      item,
      ep,
      ['errorCode', 'responsePagePath', 'responseCode', 'errorCachingMinTTL'],
      ['errorCode'],
    );
    if (!o) return;
    const codes = ERROR_RESPONSE_CODES.join(', ');
    if (o.errorCode !== undefined && !ERROR_RESPONSE_CODES.includes(o.errorCode as number)) {
      p.add(at(ep, 'errorCode'), `must be one of ${codes} (got ${JSON.stringify(o.errorCode)})`);
    }
    if (
      o.responseCode !== undefined &&
      o.responseCode !== 200 &&
      !ERROR_RESPONSE_CODES.includes(o.responseCode as number)
    ) {
      p.add(at(ep, 'responseCode'), `must be 200 or one of ${codes} (got ${JSON.stringify(o.responseCode)})`);
    }
    if (o.responsePagePath !== undefined) {
      checkString(p, o.responsePagePath, at(ep, 'responsePagePath'), {
        min: 1,
        max: 4000,
        pattern: /^\/\S*$/,
        patternText: 'must start with "/" and contain no spaces',
      });
    } else if (o.responseCode !== undefined) {
      // CloudFront's API: a ResponseCode needs a ResponsePagePath to send with it.
      p.add(at(ep, 'responseCode'), 'needs responsePagePath');
    }
    if (o.errorCachingMinTTL !== undefined)
      checkInt(p, o.errorCachingMinTTL, at(ep, 'errorCachingMinTTL'), 0, 31_536_000);
  });
}

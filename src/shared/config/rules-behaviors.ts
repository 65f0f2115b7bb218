/**
 * @module shared/config/rules-behaviors
 * The cache behavior rules JSON Schema cannot say (schema.ts says what each field may hold):
 * targets and trusted key groups that exist, unique path patterns, CloudFront's method sets, one
 * function per event type, CloudFront Functions only on viewer events and never mixed with
 * Lambda@Edge there, a runtime that fits the file, and the custom error responses' pairs (spec
 * 3.5, 7.1, 7.8). Input may be malformed: every read is guarded, and a list the schema refused
 * (too long, not a list) is not looked into, as before.
 */
import { CONTRACT } from '../lambda-edge/contract.js';
import { EVENT_TYPES, type EventType } from '../lambda-edge/events.js';
import { at } from '../schema/check.js';
import { didYouMean } from '../schema/suggest.js';
import { ALLOWED_METHOD_SETS, CACHED_METHOD_SETS } from './defaults.js';
import { parseEgressEntry } from './egress.js';
import { RUNTIME_NAMES, extensionFitsRuntime, isCloudFrontFunction, resolveFunction } from './functions.js';
import {
  type Obj,
  type RuleSink,
  cachePolicyRules,
  isObj,
  originRequestPolicyRules,
  responseHeadersPolicyRules,
} from './rules-policies.js';

export const INCLUDE_BODY_MESSAGE =
  'The IncludeBody option can only be used with viewer-request or origin-request events.';

export interface TargetIds {
  origins: readonly string[];
  groups: readonly string[];
  /** Key groups a behavior may trust (the config's own and, in managed mode, the store's). */
  keyGroups: readonly string[];
}

/** The items of a list the schema let through at `path` (none when it refused the list itself). */
export function items(p: RuleSink, v: unknown, path: string): unknown[] {
  return Array.isArray(v) && !p.bad(path) ? v : [];
}

/** Report later items that repeat an earlier one (compared by `keyOf`). */
export function unique(
  p: RuleSink,
  list: readonly unknown[],
  path: string,
  what: string,
  keyOf: (v: unknown) => string | undefined,
): void {
  // prettier-ignore
  const seen = new Map<string, number>();
  list.forEach((item, i) => {
    const k = keyOf(item);
    if (k === undefined) return;
    const first = seen.get(k);
    if (first !== undefined) p.add(at(path, i), `duplicate ${what} ${JSON.stringify(k)} (first at ${at(path, first)})`);
    else seen.set(k, i);
  });
}

export function behaviorRules(p: RuleSink, dist: Obj, ids: TargetIds): void {
  if (isObj(dist.defaultCacheBehavior)) behaviorFieldRules(p, dist.defaultCacheBehavior, '$.defaultCacheBehavior', ids); // prettier-ignore
  const path = '$.cacheBehaviors';
  const list = items(p, dist.cacheBehaviors, path);
  // A leading `/` is optional (spec 7.1), so `/a/*` and `a/*` are the same pattern.
  unique(p, list, path, 'pathPattern', (b) => isObj(b) && typeof b.pathPattern === 'string' ? b.pathPattern.replace(/^\//, '') : undefined); // prettier-ignore
  list.forEach((b, i) => isObj(b) && behaviorFieldRules(p, b, at(path, i), ids));
}

function behaviorFieldRules(p: RuleSink, o: Obj, path: string, ids: TargetIds): void {
  const t = o.targetOriginId;
  if (typeof t === 'string' && t !== '' && !ids.origins.includes(t) && !ids.groups.includes(t))
    p.add(at(path, 'targetOriginId'), `no origin or origin group has id ${JSON.stringify(t)}`);
  const allowed = o.allowedMethods === undefined ? ALLOWED_METHOD_SETS[0]! : methodSet(p, o.allowedMethods, at(path, 'allowedMethods'), ALLOWED_METHOD_SETS); // prettier-ignore
  if (o.cachedMethods !== undefined) {
    const cached = methodSet(p, o.cachedMethods, at(path, 'cachedMethods'), CACHED_METHOD_SETS);
    if (cached?.includes('OPTIONS') && allowed && !allowed.includes('OPTIONS'))
      p.add(at(path, 'cachedMethods'), 'OPTIONS can be cached only when allowedMethods includes OPTIONS');
  }
  if (o.cachePolicy !== undefined) cachePolicyRules(p, o.cachePolicy, at(path, 'cachePolicy'));
  if (o.originRequestPolicy !== undefined) originRequestPolicyRules(p, o.originRequestPolicy, at(path, 'originRequestPolicy')); // prettier-ignore
  if (o.responseHeadersPolicy !== undefined) responseHeadersPolicyRules(p, o.responseHeadersPolicy, at(path, 'responseHeadersPolicy')); // prettier-ignore
  associationRules(p, items(p, o.functionAssociations, at(path, 'functionAssociations')), at(path, 'functionAssociations')); // prettier-ignore
  const kp = at(path, 'trustedKeyGroups');
  const trusted = items(p, o.trustedKeyGroups, kp);
  unique(p, trusted, kp, 'key group id', (g) => (typeof g === 'string' ? g : undefined));
  trusted.forEach((g, i) => {
    if (typeof g === 'string' && g !== '' && !ids.keyGroups.includes(g))
      p.add(at(kp, i), `no key group has id ${JSON.stringify(g)}${didYouMean(g, ids.keyGroups)} (declare it in $.keyGroups, or create it with \`verge key-groups create\` in managed mode)`); // prettier-ignore
  });
}

/** Methods compared as a set (order and case of the input do not matter). */
function methodSet(
  p: RuleSink,
  v: unknown,
  path: string,
  sets: readonly (readonly string[])[],
): readonly string[] | undefined {
  // prettier-ignore
  if (!Array.isArray(v) || p.bad(path) || !v.every((m) => typeof m === 'string')) return undefined;
  const given = new Set(v.map((m: string) => m.toUpperCase()));
  const match = sets.find((s) => s.length === given.size && s.every((m) => given.has(m)));
  if (!match) p.add(path, `must be one of ${sets.map((s) => `[${s.join(',')}]`).join(' or ')}`);
  return match;
}

function associationRules(p: RuleSink, list: unknown[], path: string): void {
  const seen: Array<{ index: number; eventType: EventType; cff: boolean; canary: boolean }> = [];
  list.forEach((item, i) => {
    if (!isObj(item)) return;
    const ap = at(path, i);
    const eventType = (EVENT_TYPES as readonly unknown[]).includes(item.eventType) ? (item.eventType as EventType) : undefined; // prettier-ignore
    const runtime = functionRules(p, item.function, at(ap, 'function'));
    const cff = runtime !== undefined && isCloudFrontFunction(runtime);
    if (item.includeBody === true && eventType) {
      if (!CONTRACT[eventType].includeBodyAllowed) p.add(at(ap, 'includeBody'), INCLUDE_BODY_MESSAGE);
      else if (cff) p.add(at(ap, 'includeBody'), 'CloudFront Functions cannot read the request body (spec 8.3)');
    }
    if (!eventType || runtime === undefined) return;
    if (cff && !eventType.startsWith('viewer-'))
      p.add(at(ap, 'eventType'), `CloudFront Functions can only be associated with viewer-request or viewer-response events (got ${eventType})`); // prettier-ignore
    const canary = item.canary !== undefined;
    const prev = seen.find((s) => s.eventType === eventType && s.canary === canary);
    // Spec 3.5: one function association per event type per cache behavior.
    if (prev) p.add(at(ap, 'eventType'), `only one function can be associated with ${eventType} (already at ${at(path, prev.index)})`); // prettier-ignore
    // Spec 3.5: CloudFront Functions and Lambda@Edge cannot be mixed on the viewer events.
    const other = seen.find((s) => s.eventType.startsWith('viewer-') && s.cff !== cff);
    if (eventType.startsWith('viewer-') && other)
      p.add(ap, `CloudFront Functions and Lambda@Edge functions cannot be mixed on the viewer events of one cache behavior (see ${at(path, other.index)})`); // prettier-ignore
    seen.push({ index: i, eventType, cff, canary });
  });
  for (const c of seen.filter((s) => s.canary && !seen.some((x) => !x.canary && x.eventType === s.eventType)))
    p.add(at(at(path, c.index), 'canary'), `a canary runs next to the function already on ${c.eventType}; there is none here (attach one without a canary first)`); // prettier-ignore
}

/** A `function` field's rules; returns its runtime when its path and runtime are usable. */
function functionRules(p: RuleSink, v: unknown, path: string) {
  if (typeof v === 'string') return v === '' ? undefined : resolveFunction(v).runtime;
  if (!isObj(v)) return undefined;
  const env = isObj(v.env) ? v.env : undefined;
  for (const k of Object.keys(env ?? {}))
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(k))
      p.add(at(at(path, 'env'), k), `${JSON.stringify(k)} is not a valid environment variable name (letters, digits and _, starting with a letter)`); // prettier-ignore
  items(p, v.secretNames, at(path, 'secretNames')).forEach((s, i) => {
    if (typeof s === 'string' && s !== '' && env && !(s in env))
      p.add(at(at(path, 'secretNames'), i), `${JSON.stringify(s)} is not a key of env`);
  });
  const allow = isObj(v.egress) ? items(p, v.egress.allow, at(at(path, 'egress'), 'allow')) : [];
  allow.forEach((e, i) => {
    const r = typeof e === 'string' ? parseEgressEntry(e) : undefined;
    if (typeof r === 'string') p.add(at(at(at(path, 'egress'), 'allow'), i), r);
  });
  const fnPath = typeof v.path === 'string' && v.path !== '' ? v.path : undefined;
  const runtime = (RUNTIME_NAMES as readonly unknown[]).includes(v.runtime) ? (v.runtime as string) : undefined;
  if (fnPath === undefined || (v.runtime !== undefined && runtime === undefined)) return undefined;
  const resolved = resolveFunction({ path: fnPath, ...(runtime ? { runtime } : {}) });
  if (!extensionFitsRuntime(fnPath, resolved.runtime))
    p.add(at(path, v.runtime === undefined ? 'path' : 'runtime'), `runtime ${resolved.runtime} does not fit the file ${fnPath} (.py files use runtime python)`); // prettier-ignore
  if (v.kvs !== undefined && resolved.runtime !== 'cloudfront-js-2.0')
    p.add(at(path, 'kvs'), 'a KeyValueStore needs runtime cloudfront-js-2.0 (spec 4.2)');
  return resolved.runtime;
}

export function errorResponseRules(p: RuleSink, v: unknown): void {
  const path = '$.customErrorResponses';
  const list = items(p, v, path);
  unique(p, list, path, 'errorCode', (e) => (isObj(e) && typeof e.errorCode === 'number' ? String(e.errorCode) : undefined)); // prettier-ignore
  list.forEach((e, i) => {
    // CloudFront's API: a ResponseCode needs a ResponsePagePath to send with it.
    if (isObj(e) && e.responseCode !== undefined && e.responsePagePath === undefined)
      p.add(at(at(path, i), 'responseCode'), 'needs responsePagePath');
  });
}

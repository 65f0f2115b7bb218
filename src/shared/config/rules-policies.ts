/**
 * @module shared/config/rules-policies
 * The policy rules JSON Schema cannot say (schema-policies.ts says what each field may hold): a
 * string names a managed policy that exists, the TTLs are in order, a policy's names together stay
 * within CloudFront's 1,024 characters, a policy that never caches puts nothing in the cache key,
 * and the response headers policy's combinations CloudFront refuses (spec 7.2, 7.3, 7.9).
 * Input may be malformed (the schema's problems are reported beside these): every read is guarded.
 */
import { didYouMean } from '../schema/suggest.js';
import { at } from '../schema/check.js';
import { LIMITS, NON_REMOVABLE_RESPONSE_HEADERS } from './defaults.js';
import {
  MANAGED_CACHE_POLICIES,
  MANAGED_ORIGIN_REQUEST_POLICIES,
  MANAGED_RESPONSE_HEADERS_POLICIES,
  type ManagedPolicy,
} from './managed-policies.js';

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []); // prettier-ignore

/** Where rules add their problems; `bad(path)` says the schema already refused the value there. */
export interface RuleSink {
  add(path: string, message: string): void;
  bad(path: string): boolean;
}

function managedRef<T>(p: RuleSink, ref: string, path: string, list: readonly ManagedPolicy<T>[], kind: string): void {
  if (list.some((m) => m.name === ref || m.id === ref)) return;
  const names = list.map((m) => m.name);
  p.add(path, `unknown managed ${kind} ${JSON.stringify(ref)}${didYouMean(ref, names)}; the managed ones are ${names.join(', ')}`); // prettier-ignore
}

/** The names of a "none" | "all" | { whitelist } | { allExcept } list (for the combined length). */
function listNames(v: unknown): string[] {
  return isObj(v) ? Object.values(v).flatMap(strings) : [];
}

function namesTotal(p: RuleSink, names: string[], path: string): void {
  const total = names.reduce((n, s) => n + s.length, 0);
  if (total > LIMITS.policyNamesTotalLength)
    p.add(path, `the header, cookie and query string names together must be at most ${LIMITS.policyNamesTotalLength} characters (got ${total})`); // prettier-ignore
}

const int = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);

export function cachePolicyRules(p: RuleSink, v: unknown, path: string): void {
  if (typeof v === 'string') return managedRef(p, v, path, MANAGED_CACHE_POLICIES, 'cache policy');
  if (!isObj(v)) return;
  const ttl = (k: string) => (p.bad(at(path, k)) ? undefined : int(v[k]));
  const [min, def, max] = [ttl('minTTL'), ttl('defaultTTL'), ttl('maxTTL')];
  if (min !== undefined && def !== undefined && min > def) p.add(at(path, 'defaultTTL'), `must be at least minTTL (${min})`); // prettier-ignore
  if (def !== undefined && max !== undefined && def > max) p.add(at(path, 'maxTTL'), `must be at least defaultTTL (${def})`); // prettier-ignore
  else if (min !== undefined && max !== undefined && min > max) p.add(at(path, 'maxTTL'), `must be at least minTTL (${min})`); // prettier-ignore
  const names = [...strings(v.headers), ...listNames(v.cookies), ...listNames(v.queryStrings)];
  namesTotal(p, names, path);
  // CloudFront rejects cache key settings on a policy that never caches (MaxTTL 0).
  const keyed = names.length > 0 || v.enableAcceptEncodingGzip === true || v.enableAcceptEncodingBrotli === true || v.cookies === 'all' || v.queryStrings === 'all'; // prettier-ignore
  if (max === 0 && keyed)
    p.add(path, 'a cache policy with maxTTL 0 cannot put headers, cookies, query strings or Accept-Encoding in the cache key'); // prettier-ignore
}

export function originRequestPolicyRules(p: RuleSink, v: unknown, path: string): void {
  if (typeof v === 'string') return managedRef(p, v, path, MANAGED_ORIGIN_REQUEST_POLICIES, 'origin request policy');
  if (!isObj(v)) return;
  const h = v.headers;
  if (isObj(h) && Array.isArray(h.allViewerAndCloudFront)) {
    const hp = at(at(path, 'headers'), 'allViewerAndCloudFront');
    h.allViewerAndCloudFront.forEach((n, i) => {
      if (typeof n === 'string' && !n.toLowerCase().startsWith('cloudfront-'))
        p.add(at(hp, i), 'must be a CloudFront-* header name');
    });
  }
  namesTotal(p, [...listNames(h), ...listNames(v.cookies), ...listNames(v.queryStrings)], path);
}

function isNonRemovable(lower: string): boolean {
  return NON_REMOVABLE_RESPONSE_HEADERS.some((n) => (n.endsWith('*') ? lower.startsWith(n.slice(0, -1)) : lower === n));
}

export function responseHeadersPolicyRules(p: RuleSink, v: unknown, path: string): void {
  if (typeof v === 'string')
    return managedRef(p, v, path, MANAGED_RESPONSE_HEADERS_POLICIES, 'response headers policy');
  if (!isObj(v)) return;
  if (Array.isArray(v.removeHeaders))
    v.removeHeaders.forEach((name, i) => {
      if (typeof name === 'string' && isNonRemovable(name.toLowerCase()))
        p.add(at(at(path, 'removeHeaders'), i), `${name} cannot be removed by a response headers policy (spec 7.9)`);
    });
  const cors = v.cors;
  // Fetch standard: a credentialed response cannot use the `*` wildcard origin; CloudFront rejects it too.
  if (isObj(cors) && cors.allowCredentials === true && strings(cors.allowOrigins).includes('*'))
    p.add(at(at(path, 'cors'), 'allowCredentials'), 'cannot be true when allowOrigins contains "*"');
  const xss = isObj(v.securityHeaders) ? v.securityHeaders.xssProtection : undefined;
  if (isObj(xss) && xss.modeBlock === true && xss.reportUri !== undefined)
    p.add(at(at(path, 'securityHeaders'), 'xssProtection'), 'modeBlock and reportUri cannot both be set');
  const rate = isObj(v.serverTiming) ? v.serverTiming.samplingRate : undefined;
  const rp = at(at(path, 'serverTiming'), 'samplingRate');
  if (typeof rate === 'number' && !p.bad(rp) && Math.round(rate * 10_000) !== rate * 10_000)
    p.add(rp, 'must be a number from 0 to 100 with at most 4 decimal places');
}

/**
 * @module shared/config/validate-policies
 * Validation of the three policy kinds on a cache behavior: a managed name or ID (spec 7.2, 7.3,
 * 7.9) or an inline object. Enforces CloudFront's policy limits (spec 4.3: 10 items per list,
 * 1,024 characters of names per policy, 10 custom response headers, CSP ≤ 1,783 characters).
 */
import { CORS_METHODS, LIMITS, NON_REMOVABLE_RESPONSE_HEADERS, REFERRER_POLICIES } from './defaults.js';
import {
  HEADER_NAME,
  HEADER_NAME_TEXT,
  type Obj,
  type Problems,
  at,
  checkArray,
  checkBool,
  checkEnum,
  checkInt,
  checkObject,
  checkString,
  checkStringArray,
  didYouMean,
  isObj,
} from './fields.js';
import {
  MANAGED_CACHE_POLICIES,
  MANAGED_ORIGIN_REQUEST_POLICIES,
  MANAGED_RESPONSE_HEADERS_POLICIES,
  type ManagedPolicy,
} from './managed-policies.js';

const HEADER_OPTS = { min: 1, max: 256, pattern: HEADER_NAME, patternText: HEADER_NAME_TEXT };
const NAME_OPTS = { min: 1, max: 128 };
const MAX_TTL = 3_153_600_000; // 100 years (spec 7.4: max-age 0 … 100 years)

/** A string policy reference must be a managed policy's name or ID. */
function checkManagedRef<T>(
  p: Problems,
  ref: string,
  path: string,
  list: readonly ManagedPolicy<T>[],
  kind: string,
): void {
  if (list.some((m) => m.name === ref || m.id === ref)) return;
  const names = list.map((m) => m.name);
  p.add(
    path,
    `unknown managed ${kind} ${JSON.stringify(ref)}${didYouMean(ref, names)}; the managed ones are ${names.join(', ')}`,
  );
}

/**
 * A cookies / query strings list: "none" | "all" | { whitelist: [...] } | { allExcept: [...] }.
 * Returns the item names (for the policy's combined length limit).
 */
function checkList(p: Problems, v: unknown, path: string, itemOpts = NAME_OPTS): string[] {
  if (v === 'none' || v === 'all') return [];
  if (typeof v === 'string' || !isObj(v)) {
    p.add(path, `must be "none", "all", { "whitelist": [...] } or { "allExcept": [...] }`);
    return [];
  }
  return checkListObject(p, v, path, ['whitelist', 'allExcept'], itemOpts);
}

function checkListObject(p: Problems, v: Obj, path: string, kinds: readonly string[], itemOpts = NAME_OPTS): string[] {
  const keys = Object.keys(v);
  if (keys.length !== 1) {
    checkObject(p, v, path, kinds);
    p.add(path, `must have exactly one of ${kinds.map((k) => `"${k}"`).join(', ')}`);
    return [];
  }
  const key = keys[0]!;
  if (!kinds.includes(key)) {
    p.add(at(path, key), `unknown field "${key}"${didYouMean(key, kinds)}`);
    return [];
  }
  return checkStringArray(p, v[key], at(path, key), LIMITS.policyListItems, itemOpts) ?? [];
}

function checkNamesTotal(p: Problems, names: string[], path: string): void {
  const total = names.reduce((n, s) => n + s.length, 0);
  if (total > LIMITS.policyNamesTotalLength) {
    p.add(
      path,
      `the header, cookie and query string names together must be at most ${LIMITS.policyNamesTotalLength} characters (got ${total})`,
    );
  }
}

export function validateCachePolicy(p: Problems, v: unknown, path: string): void {
  if (typeof v === 'string') return checkManagedRef(p, v, path, MANAGED_CACHE_POLICIES, 'cache policy');
  const known = [
    'name',
    'minTTL',
    'defaultTTL',
    'maxTTL',
    'headers',
    'cookies',
    'queryStrings',
    'enableAcceptEncodingGzip',
    'enableAcceptEncodingBrotli',
  ];
  const o = checkObject(p, v, path, known, ['minTTL', 'defaultTTL', 'maxTTL']);
  if (!o) return;
  if (o.name !== undefined) checkString(p, o.name, at(path, 'name'), NAME_OPTS);
  const ttl = (k: string) => (o[k] === undefined ? undefined : checkInt(p, o[k], at(path, k), 0, MAX_TTL));
  const [min, def, max] = [ttl('minTTL'), ttl('defaultTTL'), ttl('maxTTL')];
  if (min !== undefined && def !== undefined && min > def)
    p.add(at(path, 'defaultTTL'), `must be at least minTTL (${min})`);
  if (def !== undefined && max !== undefined && def > max)
    p.add(at(path, 'maxTTL'), `must be at least defaultTTL (${def})`);
  else if (min !== undefined && max !== undefined && min > max)
    p.add(at(path, 'maxTTL'), `must be at least minTTL (${min})`);
  const names: string[] = [];
  // Headers in the cache key are an allow-list only (spec 7.2): no "all", no block-list.
  if (o.headers !== undefined)
    names.push(...(checkStringArray(p, o.headers, at(path, 'headers'), LIMITS.policyListItems, HEADER_OPTS) ?? []));
  if (o.cookies !== undefined) names.push(...checkList(p, o.cookies, at(path, 'cookies')));
  if (o.queryStrings !== undefined) names.push(...checkList(p, o.queryStrings, at(path, 'queryStrings')));
  checkNamesTotal(p, names, path);
  const gzip =
    o.enableAcceptEncodingGzip === undefined
      ? false
      : checkBool(p, o.enableAcceptEncodingGzip, at(path, 'enableAcceptEncodingGzip'));
  const br =
    o.enableAcceptEncodingBrotli === undefined
      ? false
      : checkBool(p, o.enableAcceptEncodingBrotli, at(path, 'enableAcceptEncodingBrotli'));
  // CloudFront rejects cache key settings on a policy that never caches (MaxTTL 0).
  const keyed = names.length > 0 || gzip === true || br === true || o.cookies === 'all' || o.queryStrings === 'all';
  if (max === 0 && keyed)
    p.add(
      path,
      'a cache policy with maxTTL 0 cannot put headers, cookies, query strings or Accept-Encoding in the cache key',
    );
}

const ORP_HEADER_KINDS = ['whitelist', 'allExcept', 'allViewerAndCloudFront'];

export function validateOriginRequestPolicy(p: Problems, v: unknown, path: string): void {
  if (typeof v === 'string')
    return checkManagedRef(p, v, path, MANAGED_ORIGIN_REQUEST_POLICIES, 'origin request policy');
  const o = checkObject(p, v, path, ['name', 'headers', 'cookies', 'queryStrings']);
  if (!o) return;
  if (o.name !== undefined) checkString(p, o.name, at(path, 'name'), NAME_OPTS);
  const names: string[] = [];
  const h = o.headers;
  if (h === undefined || h === 'none' || h === 'allViewer') {
    // nothing to check
  } else if (isObj(h)) {
    const items = checkListObject(p, h, at(path, 'headers'), ORP_HEADER_KINDS, HEADER_OPTS);
    names.push(...items);
    if (Array.isArray(h.allViewerAndCloudFront)) {
      items.forEach((n, i) => {
        if (!n.toLowerCase().startsWith('cloudfront-'))
          p.add(at(at(at(path, 'headers'), 'allViewerAndCloudFront'), i), 'must be a CloudFront-* header name');
      });
    }
  } else {
    p.add(
      at(path, 'headers'),
      'must be "none", "allViewer", { "whitelist": [...] }, { "allExcept": [...] } or { "allViewerAndCloudFront": [...] }',
    );
  }
  if (o.cookies !== undefined) names.push(...checkList(p, o.cookies, at(path, 'cookies')));
  if (o.queryStrings !== undefined) names.push(...checkList(p, o.queryStrings, at(path, 'queryStrings')));
  checkNamesTotal(p, names, path);
}

export function validateResponseHeadersPolicy(p: Problems, v: unknown, path: string): void {
  if (typeof v === 'string')
    return checkManagedRef(p, v, path, MANAGED_RESPONSE_HEADERS_POLICIES, 'response headers policy');
  const known = ['name', 'cors', 'securityHeaders', 'customHeaders', 'removeHeaders', 'serverTiming'];
  const o = checkObject(p, v, path, known);
  if (!o) return;
  if (o.name !== undefined) checkString(p, o.name, at(path, 'name'), NAME_OPTS);
  if (o.cors !== undefined) checkCors(p, o.cors, at(path, 'cors'));
  if (o.securityHeaders !== undefined) checkSecurityHeaders(p, o.securityHeaders, at(path, 'securityHeaders'));
  if (o.customHeaders !== undefined) checkCustomResponseHeaders(p, o.customHeaders, at(path, 'customHeaders'));
  if (o.removeHeaders !== undefined) {
    const list = checkStringArray(
      p,
      o.removeHeaders,
      at(path, 'removeHeaders'),
      LIMITS.responseCustomHeaders,
      HEADER_OPTS,
    );
    list?.forEach((name, i) => {
      if (isNonRemovable(name.toLowerCase()))
        p.add(at(at(path, 'removeHeaders'), i), `${name} cannot be removed by a response headers policy (spec 7.9)`);
    });
  }
  const st =
    o.serverTiming === undefined
      ? undefined
      : checkObject(
          p,
          o.serverTiming,
          at(path, 'serverTiming'),
          ['enabled', 'samplingRate'],
          ['enabled', 'samplingRate'],
        );
  if (st) {
    if (st.enabled !== undefined) checkBool(p, st.enabled, at(at(path, 'serverTiming'), 'enabled'));
    const r = st.samplingRate;
    const rp = at(at(path, 'serverTiming'), 'samplingRate');
    if (r !== undefined && (typeof r !== 'number' || r < 0 || r > 100 || Math.round(r * 10_000) !== r * 10_000)) {
      p.add(rp, 'must be a number from 0 to 100 with at most 4 decimal places');
    }
  }
}

function isNonRemovable(lower: string): boolean {
  return NON_REMOVABLE_RESPONSE_HEADERS.some((n) => (n.endsWith('*') ? lower.startsWith(n.slice(0, -1)) : lower === n));
}

function checkCors(p: Problems, v: unknown, path: string): void {
  const known = [
    'allowOrigins',
    'allowHeaders',
    'allowMethods',
    'allowCredentials',
    'exposeHeaders',
    'maxAgeSec',
    'originOverride',
  ];
  const o = checkObject(p, v, path, known, ['allowOrigins', 'allowHeaders', 'allowMethods']);
  if (!o) return;
  const origins =
    o.allowOrigins === undefined
      ? undefined
      : checkStringArray(p, o.allowOrigins, at(path, 'allowOrigins'), 100, { min: 1 });
  if (origins?.length === 0) p.add(at(path, 'allowOrigins'), 'must not be empty');
  if (o.allowHeaders !== undefined) checkStringArray(p, o.allowHeaders, at(path, 'allowHeaders'), 100, HEADER_OPTS);
  if (o.exposeHeaders !== undefined) checkStringArray(p, o.exposeHeaders, at(path, 'exposeHeaders'), 100, HEADER_OPTS);
  const methods =
    o.allowMethods === undefined
      ? undefined
      : checkArray(p, o.allowMethods, at(path, 'allowMethods'), CORS_METHODS.length, 1);
  methods?.forEach((m, i) => checkEnum(p, m, at(at(path, 'allowMethods'), i), CORS_METHODS));
  const cred =
    o.allowCredentials === undefined ? false : checkBool(p, o.allowCredentials, at(path, 'allowCredentials'));
  // Fetch standard: a credentialed response cannot use the `*` wildcard origin; CloudFront rejects it too.
  if (cred === true && origins?.includes('*'))
    p.add(at(path, 'allowCredentials'), 'cannot be true when allowOrigins contains "*"');
  if (o.maxAgeSec !== undefined) checkInt(p, o.maxAgeSec, at(path, 'maxAgeSec'), 0, 2_147_483_647);
  if (o.originOverride !== undefined) checkBool(p, o.originOverride, at(path, 'originOverride'));
}

function checkSecurityHeaders(p: Problems, v: unknown, path: string): void {
  const known = [
    'contentSecurityPolicy',
    'contentTypeOptions',
    'frameOptions',
    'referrerPolicy',
    'strictTransportSecurity',
    'xssProtection',
  ];
  const o = checkObject(p, v, path, known);
  if (!o) return;
  const part = (key: string, fields: string[], required: string[]) => {
    if (o[key] === undefined) return undefined;
    const s = checkObject(p, o[key], at(path, key), [...fields, 'override'], [...required, 'override']);
    if (s?.override !== undefined) checkBool(p, s.override, at(at(path, key), 'override'));
    return s;
  };
  const csp = part('contentSecurityPolicy', ['value'], ['value']);
  if (csp?.value !== undefined)
    checkString(p, csp.value, at(at(path, 'contentSecurityPolicy'), 'value'), {
      min: 1,
      max: LIMITS.contentSecurityPolicyLength,
    });
  part('contentTypeOptions', [], []);
  const fo = part('frameOptions', ['value'], ['value']);
  if (fo?.value !== undefined) checkEnum(p, fo.value, at(at(path, 'frameOptions'), 'value'), ['DENY', 'SAMEORIGIN']);
  const rp = part('referrerPolicy', ['value'], ['value']);
  if (rp?.value !== undefined) checkEnum(p, rp.value, at(at(path, 'referrerPolicy'), 'value'), REFERRER_POLICIES);
  const hsts = part('strictTransportSecurity', ['maxAgeSec', 'includeSubdomains', 'preload'], ['maxAgeSec']);
  const hp = at(path, 'strictTransportSecurity');
  if (hsts?.maxAgeSec !== undefined) checkInt(p, hsts.maxAgeSec, at(hp, 'maxAgeSec'), 0, 2_147_483_647);
  for (const k of ['includeSubdomains', 'preload']) if (hsts?.[k] !== undefined) checkBool(p, hsts[k], at(hp, k));
  const xss = part('xssProtection', ['protection', 'modeBlock', 'reportUri'], ['protection']);
  const xp = at(path, 'xssProtection');
  if (xss?.protection !== undefined) checkBool(p, xss.protection, at(xp, 'protection'));
  if (xss?.modeBlock !== undefined) checkBool(p, xss.modeBlock, at(xp, 'modeBlock'));
  if (xss?.reportUri !== undefined) checkString(p, xss.reportUri, at(xp, 'reportUri'), { min: 1, max: 2048 });
  if (xss?.modeBlock === true && xss.reportUri !== undefined) p.add(xp, 'modeBlock and reportUri cannot both be set');
}

function checkCustomResponseHeaders(p: Problems, v: unknown, path: string): void {
  const list = checkArray(p, v, path, LIMITS.responseCustomHeaders);
  list?.forEach((item, i) => {
    const ip = at(path, i);
    const h = checkObject(p, item, ip, ['header', 'value', 'override'], ['header', 'override']);
    if (!h) return;
    if (h.header !== undefined) checkString(p, h.header, at(ip, 'header'), HEADER_OPTS);
    if (h.value !== undefined) checkString(p, h.value, at(ip, 'value'), { max: LIMITS.customHeaderValueLength });
    if (h.override !== undefined) checkBool(p, h.override, at(ip, 'override'));
  });
}

/**
 * @module edge/config/compile-policies
 * Turns a behavior's policy reference (a managed name or ID, or an inline object; already
 * validated) into the plan's policy records: header names lower-cased, list shapes made
 * uniform, security headers rendered to their wire values (spec 7.2, 7.3, 7.9).
 */
import { VergeError } from '../../shared/errors.js';
import { DEFAULTS } from '../../shared/config/defaults.js';
import {
  managedCachePolicy,
  managedOriginRequestPolicy,
  managedResponseHeadersPolicy,
} from '../../shared/config/managed-policies.js';
import type {
  CachePolicyConfig,
  ListConfig,
  OriginRequestPolicyConfig,
  ResponseHeadersPolicyConfig,
  SecurityHeadersConfig,
} from '../../shared/config/types.js';
import type {
  CachePolicyPlan,
  CorsPlan,
  ListPolicy,
  OriginRequestPolicyPlan,
  ResponseHeadersPolicyPlan,
} from './plan.js';

const ALL_METHODS = ['GET', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'];

function unknownManaged(kind: string, ref: string): never {
  // The validator rejects these; reaching here means an unvalidated config was compiled.
  throw new VergeError('CONFIG_INVALID', `unknown managed ${kind} ${JSON.stringify(ref)}`);
}

function resolveRef<T>(
  ref: string | T,
  lookup: (r: string) => { name: string; config: T } | undefined,
  kind: string,
): { name: string; config: T } {
  if (typeof ref !== 'string') return { name: (ref as { name?: string }).name ?? 'inline', config: ref };
  return lookup(ref) ?? unknownManaged(kind, ref);
}

function lower(items: readonly string[]): string[] {
  return items.map((s) => s.toLowerCase());
}

/** `none` / `all` / `{whitelist}` / `{allExcept}` → ListPolicy; `lowerCase` for header names. */
export function compileList(v: ListConfig | undefined, lowerCase = false): ListPolicy {
  if (v === undefined || v === 'none') return { behavior: 'none', items: [] };
  if (v === 'all') return { behavior: 'all', items: [] };
  const fix = (xs: string[]) => (lowerCase ? lower(xs) : [...xs]);
  if ('whitelist' in v) return { behavior: 'whitelist', items: fix(v.whitelist) };
  return { behavior: 'allExcept', items: fix(v.allExcept) };
}

export function compileCachePolicy(ref: string | CachePolicyConfig | undefined): CachePolicyPlan {
  const { name, config: c } = resolveRef(ref ?? DEFAULTS.cachePolicy, managedCachePolicy, 'cache policy');
  const headers = c.headers ?? [];
  return {
    name,
    minTTL: c.minTTL,
    defaultTTL: c.defaultTTL,
    maxTTL: c.maxTTL,
    headers: headers.length === 0 ? { behavior: 'none', items: [] } : { behavior: 'whitelist', items: lower(headers) },
    cookies: compileList(c.cookies),
    queryStrings: compileList(c.queryStrings),
    enableAcceptEncodingGzip: c.enableAcceptEncodingGzip ?? false,
    enableAcceptEncodingBrotli: c.enableAcceptEncodingBrotli ?? false,
  };
}

export function compileOriginRequestPolicy(
  ref: string | OriginRequestPolicyConfig | undefined,
): OriginRequestPolicyPlan | null {
  if (ref === undefined) return null;
  const { name, config: c } = resolveRef(ref, managedOriginRequestPolicy, 'origin request policy');
  const h = c.headers;
  let headers: OriginRequestPolicyPlan['headers'];
  if (h === undefined || h === 'none') headers = { behavior: 'none', items: [] };
  else if (h === 'allViewer') headers = { behavior: 'allViewer', items: [] };
  else if ('whitelist' in h) headers = { behavior: 'whitelist', items: lower(h.whitelist) };
  else if ('allExcept' in h) headers = { behavior: 'allExcept', items: lower(h.allExcept) };
  else headers = { behavior: 'allViewerAndCloudFront', items: lower(h.allViewerAndCloudFront) };
  return { name, headers, cookies: compileList(c.cookies), queryStrings: compileList(c.queryStrings) };
}

export function compileResponseHeadersPolicy(
  ref: string | ResponseHeadersPolicyConfig | undefined,
): ResponseHeadersPolicyPlan | null {
  if (ref === undefined) return null;
  const { name, config: c } = resolveRef(ref, managedResponseHeadersPolicy, 'response headers policy');
  const plan: ResponseHeadersPolicyPlan = {
    name,
    securityHeaders: c.securityHeaders ? renderSecurityHeaders(c.securityHeaders) : [],
    customHeaders: (c.customHeaders ?? []).map((h) => ({
      header: h.header,
      value: h.value ?? '',
      override: h.override,
    })),
    removeHeaders: lower(c.removeHeaders ?? []),
  };
  if (c.cors) {
    const cors: CorsPlan = {
      allowCredentials: c.cors.allowCredentials ?? false,
      allowHeaders: [...c.cors.allowHeaders],
      allowMethods: c.cors.allowMethods.some((m) => m.toUpperCase() === 'ALL')
        ? ALL_METHODS
        : c.cors.allowMethods.map((m) => m.toUpperCase()),
      allowOrigins: [...c.cors.allowOrigins],
      exposeHeaders: [...(c.cors.exposeHeaders ?? [])],
      originOverride: c.cors.originOverride ?? false,
    };
    if (c.cors.maxAgeSec !== undefined) cors.maxAgeSec = c.cors.maxAgeSec;
    plan.cors = cors;
  }
  if (c.serverTiming)
    plan.serverTiming = { enabled: c.serverTiming.enabled, samplingRate: c.serverTiming.samplingRate };
  return plan;
}

/** Security headers to their header names and values (spec 7.9). */
export function renderSecurityHeaders(s: SecurityHeadersConfig): ResponseHeadersPolicyPlan['securityHeaders'] {
  const out: ResponseHeadersPolicyPlan['securityHeaders'] = [];
  if (s.contentSecurityPolicy)
    out.push({
      header: 'Content-Security-Policy',
      value: s.contentSecurityPolicy.value,
      override: s.contentSecurityPolicy.override,
    });
  if (s.contentTypeOptions)
    out.push({ header: 'X-Content-Type-Options', value: 'nosniff', override: s.contentTypeOptions.override });
  if (s.frameOptions)
    out.push({ header: 'X-Frame-Options', value: s.frameOptions.value, override: s.frameOptions.override });
  if (s.referrerPolicy)
    out.push({ header: 'Referrer-Policy', value: s.referrerPolicy.value, override: s.referrerPolicy.override });
  const hsts = s.strictTransportSecurity;
  if (hsts) {
    const value = `max-age=${hsts.maxAgeSec}${hsts.includeSubdomains ? '; includeSubDomains' : ''}${hsts.preload ? '; preload' : ''}`;
    out.push({ header: 'Strict-Transport-Security', value, override: hsts.override });
  }
  const x = s.xssProtection;
  if (x) {
    let value = x.protection ? '1' : '0';
    if (x.protection && x.modeBlock) value += '; mode=block';
    else if (x.protection && x.reportUri) value += `; report=${x.reportUri}`;
    out.push({ header: 'X-XSS-Protection', value, override: x.override });
  }
  return out;
}

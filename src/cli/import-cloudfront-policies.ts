/**
 * @module cli/import-cloudfront-policies
 * CloudFront's policies, as `aws cloudfront get-cache-policy`, `get-origin-request-policy` and
 * `get-response-headers-policy` print them (PascalCase, `{Quantity, Items}` lists), turned into
 * Verge's inline policies; and the legacy `ForwardedValues` + TTLs of a behavior turned into an
 * inline cache policy. What has no Verge equivalent is reported through `Report`, by JSON path.
 */
import type {
  CachePolicyConfig,
  CorsConfig,
  ListConfig,
  OriginRequestHeadersConfig,
  OriginRequestPolicyConfig,
  ResponseHeadersPolicyConfig,
  SecurityHeadersConfig,
} from '../shared/config/types.js';

/** An AWS JSON object, read loosely: every field may be missing. */
export type Aws = Record<string, any>;

/** Collects what could not be mapped, by the JSON path in the input. */
export type Report = (path: string, message: string) => void;

/** `{Quantity, Items}` → Items (or []). */
export const items = <T = Aws>(v: Aws | undefined): T[] => (Array.isArray(v?.Items) ? (v.Items as T[]) : []);

function list(behavior: string | undefined, names: string[], path: string, report: Report): ListConfig {
  switch (behavior) {
    case undefined:
    case 'none':
      return 'none';
    case 'all':
      return 'all';
    case 'whitelist':
      return { whitelist: names };
    case 'allExcept':
      return { allExcept: names };
    default:
      report(path, `unknown behavior "${behavior}"; used none`);
      return 'none';
  }
}

/** `get-cache-policy` output (or its CachePolicyConfig) → an inline cache policy. */
export function cachePolicyFrom(doc: Aws, path: string, report: Report): CachePolicyConfig {
  const c: Aws = doc.CachePolicy?.CachePolicyConfig ?? doc.CachePolicyConfig ?? doc;
  const k: Aws = c.ParametersInCacheKeyAndForwardedToOrigin ?? {};
  const out: CachePolicyConfig = {
    ...(c.Name ? { name: String(c.Name) } : {}),
    minTTL: Number(c.MinTTL ?? 0),
    defaultTTL: Number(c.DefaultTTL ?? 86_400),
    maxTTL: Number(c.MaxTTL ?? 31_536_000),
  };
  const hb = k.HeadersConfig?.HeaderBehavior;
  if (hb === 'whitelist') out.headers = items<string>(k.HeadersConfig?.Headers);
  else if (hb && hb !== 'none') report(`${path}.HeadersConfig.HeaderBehavior`, `"${hb}" is not a cache key header behavior; used none`); // prettier-ignore
  out.cookies = list(k.CookiesConfig?.CookieBehavior, items<string>(k.CookiesConfig?.Cookies), `${path}.CookiesConfig`, report); // prettier-ignore
  out.queryStrings = list(k.QueryStringsConfig?.QueryStringBehavior, items<string>(k.QueryStringsConfig?.QueryStrings), `${path}.QueryStringsConfig`, report); // prettier-ignore
  if (k.EnableAcceptEncodingGzip !== undefined) out.enableAcceptEncodingGzip = Boolean(k.EnableAcceptEncodingGzip);
  if (k.EnableAcceptEncodingBrotli !== undefined)
    out.enableAcceptEncodingBrotli = Boolean(k.EnableAcceptEncodingBrotli);
  return out;
}

/** `get-origin-request-policy` output → an inline origin request policy. */
export function originRequestPolicyFrom(doc: Aws, path: string, report: Report): OriginRequestPolicyConfig {
  const c: Aws = doc.OriginRequestPolicy?.OriginRequestPolicyConfig ?? doc.OriginRequestPolicyConfig ?? doc;
  const names = items<string>(c.HeadersConfig?.Headers);
  let headers: OriginRequestHeadersConfig;
  switch (c.HeadersConfig?.HeaderBehavior) {
    case 'allViewer':
      headers = 'allViewer';
      break;
    case 'allViewerAndWhitelistCloudFront':
      headers = { allViewerAndCloudFront: names };
      break;
    case 'whitelist':
      headers = { whitelist: names };
      break;
    case 'allExcept':
      headers = { allExcept: names };
      break;
    default:
      headers = 'none';
  }
  return {
    ...(c.Name ? { name: String(c.Name) } : {}),
    headers,
    cookies: list(c.CookiesConfig?.CookieBehavior, items<string>(c.CookiesConfig?.Cookies), `${path}.CookiesConfig`, report), // prettier-ignore
    queryStrings: list(c.QueryStringsConfig?.QueryStringBehavior, items<string>(c.QueryStringsConfig?.QueryStrings), `${path}.QueryStringsConfig`, report), // prettier-ignore
  };
}

/** `get-response-headers-policy` output → an inline response headers policy. */
export function responseHeadersPolicyFrom(doc: Aws, path: string, report: Report): ResponseHeadersPolicyConfig {
  const c: Aws = doc.ResponseHeadersPolicy?.ResponseHeadersPolicyConfig ?? doc.ResponseHeadersPolicyConfig ?? doc;
  const out: ResponseHeadersPolicyConfig = c.Name ? { name: String(c.Name) } : {};
  const cors: Aws | undefined = c.CorsConfig;
  if (cors) {
    const x: CorsConfig = {
      allowOrigins: items<string>(cors.AccessControlAllowOrigins),
      allowHeaders: items<string>(cors.AccessControlAllowHeaders),
      allowMethods: items<string>(cors.AccessControlAllowMethods),
      allowCredentials: Boolean(cors.AccessControlAllowCredentials),
      originOverride: Boolean(cors.OriginOverride),
    };
    const expose = items<string>(cors.AccessControlExposeHeaders);
    if (expose.length) x.exposeHeaders = expose;
    if (cors.AccessControlMaxAgeSec !== undefined) x.maxAgeSec = Number(cors.AccessControlMaxAgeSec);
    out.cors = x;
  }
  const s: Aws | undefined = c.SecurityHeadersConfig;
  if (s) {
    const sec: SecurityHeadersConfig = {};
    const o = (v: Aws) => Boolean(v.Override);
    if (s.ContentSecurityPolicy)
      sec.contentSecurityPolicy = { value: String(s.ContentSecurityPolicy.ContentSecurityPolicy), override: o(s.ContentSecurityPolicy) }; // prettier-ignore
    if (s.ContentTypeOptions) sec.contentTypeOptions = { override: o(s.ContentTypeOptions) };
    if (s.FrameOptions) {
      const v = s.FrameOptions.FrameOption;
      if (v !== 'DENY' && v !== 'SAMEORIGIN')
        report(`${path}.SecurityHeadersConfig.FrameOptions.FrameOption`, `"${String(v)}" is not DENY or SAMEORIGIN; used DENY`); // prettier-ignore
      sec.frameOptions = { value: v === 'SAMEORIGIN' ? 'SAMEORIGIN' : 'DENY', override: o(s.FrameOptions) };
    }
    if (s.ReferrerPolicy) sec.referrerPolicy = { value: String(s.ReferrerPolicy.ReferrerPolicy), override: o(s.ReferrerPolicy) }; // prettier-ignore
    const t: Aws | undefined = s.StrictTransportSecurity;
    if (t)
      sec.strictTransportSecurity = {
        maxAgeSec: Number(t.AccessControlMaxAgeSec ?? 0),
        ...(t.IncludeSubdomains !== undefined ? { includeSubdomains: Boolean(t.IncludeSubdomains) } : {}),
        ...(t.Preload !== undefined ? { preload: Boolean(t.Preload) } : {}),
        override: o(t),
      };
    const xp: Aws | undefined = s.XSSProtection;
    if (xp)
      sec.xssProtection = {
        protection: Boolean(xp.Protection),
        ...(xp.ModeBlock !== undefined ? { modeBlock: Boolean(xp.ModeBlock) } : {}),
        ...(xp.ReportUri ? { reportUri: String(xp.ReportUri) } : {}),
        override: o(xp),
      };
    out.securityHeaders = sec;
  }
  const custom = items(c.CustomHeadersConfig);
  if (custom.length)
    out.customHeaders = custom.map((h) => ({ header: String(h.Header), value: String(h.Value), override: Boolean(h.Override) })); // prettier-ignore
  const remove = items(c.RemoveHeadersConfig).map((h) => String(h.Header));
  if (remove.length) out.removeHeaders = remove;
  const st: Aws | undefined = c.ServerTimingHeadersConfig;
  if (st?.Enabled) out.serverTiming = { enabled: true, samplingRate: Number(st.SamplingRate ?? 0) };
  return out;
}

/**
 * A behavior's legacy cache settings (`ForwardedValues`, `MinTTL`/`DefaultTTL`/`MaxTTL`) as an
 * inline cache policy. Forwarded values are both the cache key and what reaches the origin, as a
 * cache policy's are; `Headers: ["*"]` (forward everything, cache nothing) cannot be a cache key,
 * so it is reported and mapped to the managed CachingDisabled + AllViewer pair by the caller.
 */
export function legacyCachePolicy(b: Aws, path: string, report: Report): CachePolicyConfig | 'all-headers' {
  const fv: Aws = b.ForwardedValues ?? {};
  const headers = items<string>(fv.Headers);
  if (headers.includes('*')) {
    report(`${path}.ForwardedValues.Headers`, '"*" (forward every header, cache nothing): used the managed CachingDisabled cache policy and AllViewer origin request policy'); // prettier-ignore
    return 'all-headers';
  }
  const keys = items<string>(fv.QueryStringCacheKeys);
  const cookies: Aws = fv.Cookies ?? {};
  const out: CachePolicyConfig = {
    minTTL: Number(b.MinTTL ?? 0),
    defaultTTL: Number(b.DefaultTTL ?? 86_400),
    maxTTL: Number(b.MaxTTL ?? 31_536_000),
    headers,
    cookies:
      cookies.Forward === 'all'
        ? 'all'
        : cookies.Forward === 'whitelist'
          ? { whitelist: items<string>(cookies.WhitelistedNames) }
          : 'none',
    queryStrings: !fv.QueryString ? 'none' : keys.length ? { whitelist: keys } : 'all',
    // Legacy behaviors normalize Accept-Encoding for compression when Compress is on.
    enableAcceptEncodingGzip: Boolean(b.Compress),
    enableAcceptEncodingBrotli: Boolean(b.Compress),
  };
  return out;
}

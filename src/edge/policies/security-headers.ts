/**
 * @module edge/policies/security-headers
 * Builds the security-header values of a response headers policy from its settings (spec 7.9;
 * DG "Understanding response headers policies" → Security headers), with CloudFront's
 * validation rules. The config compiler calls this; the request path only copies the results.
 */
import { VergeError } from '../../shared/errors.js';

export const REFERRER_POLICIES = [
  'no-referrer',
  'no-referrer-when-downgrade',
  'origin',
  'origin-when-cross-origin',
  'same-origin',
  'strict-origin',
  'strict-origin-when-cross-origin',
  'unsafe-url',
] as const;
export type ReferrerPolicy = (typeof REFERRER_POLICIES)[number];

/** The CSP value is limited to 1,783 characters (DG). */
export const CSP_MAX_LENGTH = 1_783;

export interface SecurityHeadersConfig {
  contentSecurityPolicy?: { value: string; override: boolean };
  referrerPolicy?: { value: ReferrerPolicy; override: boolean };
  strictTransportSecurity?: { maxAgeSec: number; includeSubdomains?: boolean; preload?: boolean; override: boolean };
  /** Present means `X-Content-Type-Options: nosniff`. */
  contentTypeOptions?: { override: boolean };
  frameOptions?: { value: 'DENY' | 'SAMEORIGIN'; override: boolean };
  /** `modeBlock` and `reportUri` are mutually exclusive (DG). */
  xssProtection?: { protection: boolean; modeBlock?: boolean; reportUri?: string; override: boolean };
}

export interface SecurityHeader {
  header: string;
  value: string;
  override: boolean;
}

function bad(path: string, problem: string): VergeError {
  return new VergeError('CONFIG_INVALID', `${path}: ${problem}`, { details: { path, problem } });
}

function xssValue(x: NonNullable<SecurityHeadersConfig['xssProtection']>, path: string): string {
  if (x.modeBlock && x.reportUri !== undefined)
    throw bad(`${path}.xssProtection`, 'modeBlock and reportUri cannot both be set');
  if (!x.protection) return '0';
  if (x.modeBlock) return '1; mode=block';
  if (x.reportUri !== undefined) return `1; report=${x.reportUri}`;
  return '1';
}

/** The policy's security headers as `{header, value, override}` rows (throws CONFIG_INVALID). */
export function securityHeadersFromConfig(cfg: SecurityHeadersConfig, path = 'securityHeaders'): SecurityHeader[] {
  const out: SecurityHeader[] = [];
  const csp = cfg.contentSecurityPolicy;
  if (csp) {
    if (csp.value.length > CSP_MAX_LENGTH)
      throw bad(`${path}.contentSecurityPolicy`, `longer than ${CSP_MAX_LENGTH} characters`);
    out.push({ header: 'Content-Security-Policy', value: csp.value, override: csp.override });
  }
  const rp = cfg.referrerPolicy;
  if (rp) {
    if (!(REFERRER_POLICIES as readonly string[]).includes(rp.value))
      throw bad(`${path}.referrerPolicy`, `must be one of ${REFERRER_POLICIES.join(', ')}`);
    out.push({ header: 'Referrer-Policy', value: rp.value, override: rp.override });
  }
  const hsts = cfg.strictTransportSecurity;
  if (hsts) {
    if (!Number.isInteger(hsts.maxAgeSec) || hsts.maxAgeSec < 0)
      throw bad(`${path}.strictTransportSecurity.maxAgeSec`, 'must be a non-negative integer');
    let v = `max-age=${hsts.maxAgeSec}`;
    if (hsts.includeSubdomains) v += '; includeSubDomains';
    if (hsts.preload) v += '; preload';
    out.push({ header: 'Strict-Transport-Security', value: v, override: hsts.override });
  }
  if (cfg.contentTypeOptions)
    out.push({ header: 'X-Content-Type-Options', value: 'nosniff', override: cfg.contentTypeOptions.override });
  const fo = cfg.frameOptions;
  if (fo) {
    if (fo.value !== 'DENY' && fo.value !== 'SAMEORIGIN')
      throw bad(`${path}.frameOptions`, 'must be DENY or SAMEORIGIN');
    out.push({ header: 'X-Frame-Options', value: fo.value, override: fo.override });
  }
  if (cfg.xssProtection)
    out.push({
      header: 'X-XSS-Protection',
      value: xssValue(cfg.xssProtection, path),
      override: cfg.xssProtection.override,
    });
  return out;
}

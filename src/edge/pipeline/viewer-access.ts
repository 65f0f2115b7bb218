/**
 * @module edge/pipeline/viewer-access
 * CloudFront's own checks on the viewer half, run by `receive` before any viewer-request
 * function: the default root object (`/` becomes `/index.html`, the root only), the
 * distribution's geographic restriction, and the behavior's signed URL / signed cookie
 * requirement (the signature logic is the edge/signed leaf). A refusal is a typed error, so
 * `synth` gives it CloudFront's 403 and any custom error page configured for 403.
 */
import { VergeError, type ErrorCode } from '../../shared/errors.js';
import type { DistributionPlan } from '../config/plan.js';
import { stripSignedCookies, stripSignedParams, verifySigned, type SignedErrorCode } from '../signed/index.js';
import type { PipelineDeps } from './deps.js';
import type { RoutedTxn, ViewerTxn } from './transaction.js';

/** Spec: a request for the root of the distribution asks the origin for the default root object. */
export function applyDefaultRootObject(txn: ViewerTxn, dist: DistributionPlan): void {
  if (dist.defaultRootObject !== null && txn.request.uri === '/') txn.request.uri = dist.defaultRootObject;
}

/** Refuse a viewer whose country the restriction excludes; an unknown country is served (as CloudFront does). */
export function checkGeoRestriction(txn: ViewerTxn, dist: DistributionPlan, deps: PipelineDeps): void {
  const g = dist.geoRestriction;
  if (!g) return;
  const country = deps.geo?.lookup(txn.conn.clientIp)?.countryCode;
  if (country === undefined) return;
  if (g.countries.has(country) === (g.type === 'allowlist')) return;
  throw new VergeError(
    'VIEWER_GEO_BLOCKED',
    `viewer ${txn.conn.clientIp} is in ${country}, which the ${g.type} of distribution ${dist.id} refuses`,
    { details: { country } },
  );
}

const CODES: Record<SignedErrorCode, ErrorCode> = {
  MissingKey: 'SIGNED_URL_MISSING_KEY',
  InvalidKey: 'SIGNED_URL_UNKNOWN_KEY',
  MalformedPolicy: 'SIGNED_URL_MALFORMED_POLICY',
  AccessDenied: 'SIGNED_URL_ACCESS_DENIED',
};

/**
 * A behavior with trusted key groups admits only signed requests. The URL checked is the one
 * the viewer sent (`viewerPath`, before the default root object); on success CloudFront's
 * signing parameters and cookies are removed, so neither the cache key, the functions nor the
 * origin see them. A behavior without trusted key groups leaves them alone.
 */
export function checkSignedRequest(txn: RoutedTxn, deps: PipelineDeps, viewerPath: string): void {
  const keys = txn.behavior.trustedKeys;
  if (!keys) return;
  const r = txn.request;
  const result = verifySigned(
    {
      scheme: txn.conn.protocol,
      host: r.headers['host']?.[0]?.value ?? txn.host,
      path: viewerPath,
      query: r.querystring,
      cookies: (r.headers['cookie'] ?? []).map((h) => h.value),
      clientIp: txn.conn.clientIp,
      nowSec: Math.floor(deps.clock.now() / 1000),
    },
    keys,
  );
  if (!result.ok) throw new VergeError(CODES[result.code], result.reason);
  r.querystring = stripSignedParams(r.querystring);
  const cookies = r.headers['cookie'];
  if (!cookies) return;
  const kept = cookies.map((h) => ({ key: h.key, value: stripSignedCookies(h.value) })).filter((h) => h.value !== '');
  if (kept.length > 0) r.headers['cookie'] = kept;
  else delete r.headers['cookie'];
}

/**
 * @module edge/origin/forwarding
 * Which viewer headers, cookies and query-string parameters reach the origin, given a cache
 * policy and an optional origin request policy (spec 7.2, 7.3). One rule covers every
 * combination: a name is forwarded when either policy allows it. That is the spec's "union of
 * allow-lists; cache-policy allow-list beats ORP block-list; ORP allow-list beats cache-policy
 * block-list; All in either forwards everything", because everything in the cache key is
 * forwarded too.
 */
import type { CachePolicyPlan, ListPolicy, OriginRequestPolicyPlan } from '../config/plan.js';

/** Does one list policy allow `name`? Items are compared exactly (callers fold case for headers). */
export function listAllows(
  p: { behavior: string; items: readonly string[] } | null | undefined,
  name: string,
): boolean {
  if (!p) return false;
  switch (p.behavior) {
    case 'all':
      return true;
    case 'whitelist':
      return p.items.includes(name);
    case 'allExcept':
      return !p.items.includes(name);
    default:
      return false;
  }
}

/** Either policy forwards every item: the value goes through untouched. */
function forwardsAll(cp: ListPolicy, orp: ListPolicy | undefined): boolean {
  return cp.behavior === 'all' || orp?.behavior === 'all';
}

/** Is an ordinary viewer header (lower-case) forwarded? Cookie and CloudFront-* have their own rules. */
export function viewerHeaderForwarded(
  lower: string,
  cp: CachePolicyPlan,
  orp: OriginRequestPolicyPlan | null,
): boolean {
  if (listAllows(cp.headers, lower)) return true;
  if (!orp) return false;
  const b = orp.headers.behavior;
  if (b === 'allViewer' || b === 'allViewerAndCloudFront') return true;
  return listAllows(orp.headers, lower);
}

/**
 * CloudFront-* headers `AllViewerAndCloudFrontHeaders-2022-06` leaves out (spec 7.3: every header
 * of section 3.3 except header order, header count and the JA3 fingerprint).
 */
const NOT_IN_ALL_CLOUDFRONT = new Set([
  'cloudfront-viewer-header-order',
  'cloudfront-viewer-header-count',
  'cloudfront-viewer-ja3-fingerprint',
]);

/** Is a CloudFront-* header (lower-case) named by a policy (spec 3.3: added only when named)? */
export function cloudFrontHeaderForwarded(
  lower: string,
  cp: CachePolicyPlan,
  orp: OriginRequestPolicyPlan | null,
): boolean {
  if (cp.headers.behavior === 'whitelist' && cp.headers.items.includes(lower)) return true;
  if (!orp) return false;
  if (orp.headers.behavior === 'allViewerAndCloudFront') return !NOT_IN_ALL_CLOUDFRONT.has(lower);
  return orp.headers.behavior === 'whitelist' && orp.headers.items.includes(lower);
}

function decodedName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/**
 * The query string the origin gets: complete when either policy forwards all (spec 1.3), else
 * only the allowed parameters, in the viewer's order and spelling. Names match raw or decoded.
 * @example reduceQuery('a=1&b=2&a=3', { behavior: 'whitelist', items: ['a'] }, undefined) // 'a=1&a=3'
 */
export function reduceQuery(qs: string, cp: ListPolicy, orp: ListPolicy | undefined): string {
  if (qs === '' || forwardsAll(cp, orp)) return qs;
  const kept: string[] = [];
  for (const pair of qs.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const raw = eq < 0 ? pair : pair.slice(0, eq);
    const name = decodedName(raw);
    const ok = (n: string) => listAllows(cp, n) || listAllows(orp, n);
    if (ok(raw) || (name !== raw && ok(name))) kept.push(pair);
  }
  return kept.join('&');
}

/**
 * The Cookie header value the origin gets, rebuilt as one `a=1; b=2` line from every Cookie line
 * the viewer sent (RFC 9113 8.2.3 joins split cookie lines with `; `); undefined when none remain.
 */
export function reduceCookies(
  lines: readonly string[],
  cp: ListPolicy,
  orp: ListPolicy | undefined,
): string | undefined {
  const all = forwardsAll(cp, orp);
  const kept: string[] = [];
  for (const line of lines) {
    for (const part of line.split(';')) {
      const c = part.trim();
      if (c === '') continue;
      const eq = c.indexOf('=');
      const name = (eq < 0 ? c : c.slice(0, eq)).trim();
      if (all || listAllows(cp, name) || listAllows(orp, name)) kept.push(c);
    }
  }
  return kept.length === 0 ? undefined : kept.join('; ');
}

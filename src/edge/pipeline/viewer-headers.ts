/**
 * @module edge/pipeline/viewer-headers
 * The CloudFront-* request headers (geo, device, protocol; spec 3.3) a behavior's policies ask
 * for, computed at most once per request and only when some policy names one.
 */
import type { CfHeaders } from '../../shared/lambda-edge/index.js';
import type { BehaviorPlan } from '../config/plan.js';
import { cloudFrontHeaders } from '../geo/index.js';
import type { PipelineDeps } from './deps.js';
import type { RoutedTxn } from './transaction.js';

type Wanted = ((lower: string) => boolean) | null;
const wantedCache = new WeakMap<BehaviorPlan, Wanted>();

/** Which CloudFront headers the behavior's cache and origin request policies name (null: none). */
export function wantedCloudFrontHeaders(b: BehaviorPlan): Wanted {
  let w = wantedCache.get(b);
  if (w !== undefined) return w;
  const names = new Set<string>();
  let all = false;
  for (const h of b.cachePolicy.headers.behavior === 'whitelist' ? b.cachePolicy.headers.items : []) {
    if (h.startsWith('cloudfront-')) names.add(h);
  }
  const orp = b.originRequestPolicy;
  if (orp) {
    if (orp.headers.behavior === 'allViewerAndCloudFront') all = true;
    if (orp.headers.behavior === 'whitelist' || orp.headers.behavior === 'allViewerAndCloudFront') {
      for (const h of orp.headers.items) if (h.startsWith('cloudfront-')) names.add(h);
    }
  }
  w = all
    ? (n: string) =>
        n !== 'cloudfront-viewer-header-order' &&
        n !== 'cloudfront-viewer-header-count' &&
        n !== 'cloudfront-viewer-ja3-fingerprint'
    : names.size > 0
      ? (n: string) => names.has(n)
      : null;
  wantedCache.set(b, w);
  return w;
}

export function cloudFrontHeadersFor(txn: RoutedTxn, deps: PipelineDeps): CfHeaders {
  if (txn.cloudFrontHeaders) return txn.cloudFrontHeaders;
  const wanted = wantedCloudFrontHeaders(txn.behavior);
  if (!wanted) return (txn.cloudFrontHeaders = {});
  txn.cloudFrontHeaders = cloudFrontHeaders(
    {
      clientIp: txn.conn.clientIp,
      clientPort: txn.conn.clientPort,
      userAgent: txn.request.headers['user-agent']?.[0]?.value,
      protocol: txn.conn.protocol,
      httpVersion: txn.conn.httpVersion,
      ...(txn.conn.tls ? { tls: txn.conn.tls } : {}),
      viewerHeaderNames: txn.viewerHeaderOrder,
      // Looked up only if a wanted header needs it.
      geo: () => deps.geo?.lookup(txn.conn.clientIp),
    },
    wanted,
  );
  return txn.cloudFrontHeaders!;
}

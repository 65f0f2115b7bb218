/**
 * @module edge/pipeline/response-policy
 * What the behavior says about the response headers the viewer gets: its response headers
 * policy (spec 7.9), applied to the response about to go to viewer-response (before it, as the
 * spec's inference says) by `deliver`, and by `synth` when a custom error page could not be
 * fetched; and whether origin cookies reach the viewer (spec 7.10: viewer-response, finalize).
 */
import { applyResponseHeadersPolicy } from '../policies/index.js';
import type { PipelineDeps } from './deps.js';
import type { ViewerTxn } from './transaction.js';

export function applyPolicies(txn: ViewerTxn, deps: PipelineDeps): void {
  const policy = txn.behavior?.responseHeadersPolicy;
  const r = txn.response;
  if (!policy || !r) return;
  const st = txn.resultType === 'Hit' ? 'hit' : txn.resultType === 'RefreshHit' ? 'refresh' : 'miss';
  applyResponseHeadersPolicy(policy, {
    requestHeaders: txn.request.headers,
    method: txn.request.method,
    responseHeaders: r.headers,
    status: r.status,
    serverTiming: {
      pop: deps.popId,
      requestId: txn.requestId,
      cacheStatus: st,
      ...(txn.originLatencyMs !== undefined ? { upstreamFirstByteMs: txn.originLatencyMs } : {}),
    },
  });
  // Removing Server makes CloudFront insert its own (spec 7.9); Date is ensured in finalize.
  if (!r.headers['server'] && policy.removeHeaders.some((n) => n.toLowerCase() === 'server')) {
    r.headers['server'] = [{ key: 'Server', value: 'Verge' }];
  }
}

/** Set-Cookie reaches the viewer only when the behavior forwards cookies (spec 7.10). */
export function forwardsCookies(txn: ViewerTxn): boolean {
  const b = txn.behavior;
  if (!b) return true;
  return b.cachePolicy.cookies.behavior !== 'none' || (b.originRequestPolicy?.cookies.behavior ?? 'none') !== 'none';
}

/**
 * @module edge/pipeline/steps/deliver
 * Step `deliver`: a response exists (from the cache or the origin). Origin errors are reported
 * as `Error` and may be replaced by a custom error response (spec 7.8); then the response
 * headers policy applies (spec 7.9; before viewer-response, as the spec's inference says).
 */
import { applyResponseHeadersPolicy } from '../../policies/index.js';
import type { PipelineDeps } from '../deps.js';
import type { StepName } from '../steps.js';
import type { ViewerTxn } from '../transaction.js';
import { customErrorResponse } from '../error-pages.js';

export function deliver(txn: ViewerTxn, deps: PipelineDeps): StepName | Promise<StepName> {
  const r = txn.response!;
  if (r.status >= 400) {
    txn.conditions.add('origin-status-gte-400');
    if (txn.resultType === 'Hit' || txn.resultType === 'Miss' || txn.resultType === 'RefreshHit') {
      txn.resultType = 'Error';
      txn.detailedResultType = txn.detailedResultType === 'Miss' ? 'OriginError' : 'Error';
    }
    const cer = txn.dist!.customErrorResponses.get(r.status);
    if (cer && !txn.conditions.has('generated-at-origin-request')) {
      return customErrorResponse(txn, deps, cer).then(() => policies(txn, deps));
    }
  }
  return policies(txn, deps);
}

function policies(txn: ViewerTxn, deps: PipelineDeps): StepName {
  const policy = txn.behavior!.responseHeadersPolicy;
  if (policy) {
    const st = txn.resultType === 'Hit' ? 'hit' : txn.resultType === 'RefreshHit' ? 'refresh' : 'miss';
    applyResponseHeadersPolicy(policy, {
      requestHeaders: txn.request.headers,
      method: txn.request.method,
      responseHeaders: txn.response!.headers,
      status: txn.response!.status,
      serverTiming: {
        pop: deps.popId,
        requestId: txn.requestId,
        cacheStatus: st,
        ...(txn.originLatencyMs !== undefined ? { upstreamFirstByteMs: txn.originLatencyMs } : {}),
      },
    });
    // Removing Server makes CloudFront insert its own (spec 7.9); Date is ensured in finalize.
    const h = txn.response!.headers;
    if (!h['server'] && policy.removeHeaders.some((n) => n.toLowerCase() === 'server')) {
      h['server'] = [{ key: 'Server', value: 'Verge' }];
    }
  }
  return 'viewerResponse';
}

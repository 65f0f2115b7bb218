/**
 * @module edge/pipeline/steps/deliver
 * Step `deliver`: a response exists (from the cache or the origin). Origin errors are reported
 * as `Error` and may be replaced by a custom error response (spec 7.8: the viewer restarts
 * through `errorPage` for the page, and comes back here with it); then the response headers
 * policy applies (spec 7.9; before viewer-response, as the spec's inference says).
 */
import type { PipelineDeps } from '../deps.js';
import type { StepName } from '../steps.js';
import type { RoutedTxn } from '../transaction.js';
import { beginErrorPage, finishErrorPage } from '../error-pages.js';
import { applyPolicies } from '../response-policy.js';

export function deliver(txn: RoutedTxn, deps: PipelineDeps): StepName {
  if (txn.errorPage) {
    // The custom error page arrived: the viewer's own state comes back with it as the response.
    if (finishErrorPage(txn, txn.response, null) === 'synth') return 'finalize';
    applyPolicies(txn, deps);
    return 'viewerResponse';
  }
  const r = txn.response!;
  if (r.status >= 400) {
    txn.conditions.add('origin-status-gte-400');
    if (txn.resultType === 'Hit' || txn.resultType === 'Miss' || txn.resultType === 'RefreshHit') {
      txn.resultType = 'Error';
      txn.detailedResultType = txn.detailedResultType === 'Miss' ? 'OriginError' : 'Error';
    }
    const cer = txn.dist.customErrorResponses.get(r.status);
    if (cer && !txn.conditions.has('generated-at-origin-request')) {
      const restart = beginErrorPage(txn, cer, 'deliver');
      if (restart) return restart;
    }
  }
  applyPolicies(txn, deps);
  return 'viewerResponse';
}

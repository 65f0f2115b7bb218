/**
 * @module edge/pipeline/steps/synth
 * Step `synth`: turn a typed error into what CloudFront would send: the status and `X-Cache`
 * class from the error registry (spec 5.1) and CloudFront's HTML error page. Origin failures may
 * be replaced by a configured custom error response (spec 7.8). Function errors keep the
 * function's result class (LambdaExecutionError, LambdaValidationError, ...).
 */
import { VergeError } from '../../../shared/errors.js';
import type { PipelineDeps } from '../deps.js';
import type { StepName } from '../steps.js';
import type { ResultType, ViewerTxn } from '../transaction.js';
import { beginErrorPage, edgeErrorResponse, finishErrorPage } from '../error-pages.js';
import { applyPolicies } from '../response-policy.js';
import { discardBody } from '../../body/index.js';

export function synth(txn: ViewerTxn, deps: PipelineDeps): StepName {
  const err = txn.error ?? new VergeError('INTERNAL', 'synth without an error');
  if (txn.errorPage) {
    // The custom error page could not be fetched: the viewer gets the status of that fetch.
    if (finishErrorPage(txn, null, err) === 'synth') return 'finalize';
    applyPolicies(txn, deps);
    return 'viewerResponse';
  }
  const spec = err.spec;
  const status = err.status;
  txn.conditions.add('edge-error');
  discardBody(txn.response?.body);
  txn.response = edgeErrorResponse(status, err.code, err.message, txn.requestId);
  txn.originStatus = status;
  if (!isFunctionClass(txn.resultType)) {
    txn.resultType = (spec.xCache ?? 'Error') as ResultType;
    txn.detailedResultType = spec.detail ?? 'Error';
  }
  if (err.code === 'INTERNAL')
    deps.logger.log('error', 'internal error', { requestId: txn.requestId, error: err.stack });
  // Custom error pages replace origin errors and the edge's own refusals of a viewer (geo
  // blocks, signed URL failures: the usual "log in" page of a private area), not other errors.
  const cer =
    err.code.startsWith('ORIGIN_') || err.code.startsWith('SIGNED_URL_') || err.code === 'VIEWER_GEO_BLOCKED'
      ? txn.dist?.customErrorResponses.get(status)
      : undefined;
  if (cer) return beginErrorPage(txn, cer, 'synth') ?? 'finalize';
  return 'finalize';
}

function isFunctionClass(r: ResultType): boolean {
  return r.startsWith('Lambda') || r.startsWith('Function');
}

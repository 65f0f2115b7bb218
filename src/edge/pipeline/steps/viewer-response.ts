/**
 * @module edge/pipeline/steps/viewer-response
 * Step `viewerResponse`: run the viewer-response function unless the contract table skips it
 * (origin status >= 400, custom error page, generated at viewer-request, edge errors). It may
 * change headers; the runtime's validator refuses a status change (spec 1.6).
 */
import { deleteHeader, shouldRun, type CfResponse, type InvokeResult } from '../../../shared/lambda-edge/index.js';
import type { FunctionAssociationPlan } from '../../config/plan.js';
import type { PipelineDeps } from '../deps.js';
import type { StepName } from '../steps.js';
import type { EdgeResponse, RoutedTxn } from '../transaction.js';
import { fromCfResponse, toCfResponse } from '../response.js';
import { functionFailure } from '../function-errors.js';
import { recordRun } from '../function-trace.js';
import { chooseArm } from '../canary-arm.js';
import { forwardsCookies } from '../response-policy.js';

export function viewerResponse(txn: RoutedTxn, deps: PipelineDeps): StepName | Promise<StepName> {
  const hook = txn.behavior.hooks['viewer-response'];
  if (!hook || !shouldRun('viewer-response', txn.conditions)) return 'finalize';
  const { assoc, canary } = chooseArm(txn, hook);
  const current = txn.response!;
  // The origin's Set-Cookie is gone before the function sees the response (spec 7.10).
  if (!forwardsCookies(txn)) deleteHeader(current.headers, 'set-cookie');
  const r = deps.functions.invoke({
    dist: txn.dist,
    assoc,
    eventType: 'viewer-response',
    requestId: txn.requestId,
    request: txn.request,
    response: toCfResponse(current),
    ...(canary ? { canary } : {}),
  });
  if (r instanceof Promise) return r.then((res) => afterViewerResponse(txn, assoc, current, res));
  return afterViewerResponse(txn, assoc, current, r);
}

function afterViewerResponse(
  txn: RoutedTxn,
  assoc: FunctionAssociationPlan,
  current: EdgeResponse,
  r: InvokeResult,
): StepName {
  recordRun(txn, 'viewer-response', assoc, r, current);
  if (!r.ok) return functionFailure(txn, r.code, r.message);
  const next = fromCfResponse(r.value as CfResponse, current.body);
  txn.response = { ...current, headers: next.headers, body: next.body };
  return 'finalize';
}

/**
 * @module edge/pipeline/steps/viewer-request
 * Step `viewerRequest`: run the behavior's viewer-request function, if any (spec 0.5, 2.4).
 * A returned request continues to the cache lookup; a returned response goes straight to the
 * viewer, is not cached, and skips viewer-response (contract table).
 */
import {
  CONTRACT,
  shouldRun,
  type CfBody,
  type CfRequest,
  type CfResponse,
  type InvokeResult,
} from '../../../shared/lambda-edge/index.js';
import type { FunctionAssociationPlan } from '../../config/plan.js';
import type { PipelineDeps } from '../deps.js';
import type { StepName } from '../steps.js';
import type { RoutedTxn, ViewerTxn } from '../transaction.js';
import { fromCfResponse } from '../response.js';
import { functionFailure, isCloudFrontFunction } from '../function-errors.js';
import { cloudFrontHeadersFor } from '../viewer-headers.js';
import { recordRun } from '../function-trace.js';
import { chooseArm } from '../canary-arm.js';
import { bodyForEvent } from '../request-body.js';

export function viewerRequest(txn: RoutedTxn, deps: PipelineDeps): StepName | Promise<StepName> {
  const hook = txn.behavior.hooks['viewer-request'];
  if (!hook || !shouldRun('viewer-request', txn.conditions)) return 'lookup';
  const { assoc, canary } = chooseArm(txn, hook);
  // A shallow copy is enough: every runtime serialises the event (JSON or IPC), so a function
  // never holds a reference to the edge's objects.
  const request = { ...txn.request };
  if (assoc.includeBody) request.body = bodyForEvent(txn.body, CONTRACT['viewer-request'].limits.bodyExposedBytes);
  if (isCloudFrontFunction(assoc)) {
    // CloudFront Functions see the CloudFront-* headers their policies name (spec 8.2).
    request.headers = { ...txn.request.headers, ...cloudFrontHeadersFor(txn, deps) };
  }
  const r = deps.functions.invoke({
    dist: txn.dist,
    assoc,
    eventType: 'viewer-request',
    requestId: txn.requestId,
    request,
    ...(canary ? { canary } : {}),
  });
  // A function that completed synchronously keeps the pipeline on its synchronous path.
  if (r instanceof Promise) return r.then((res) => afterViewerRequest(txn, assoc, request, res));
  return afterViewerRequest(txn, assoc, request, r);
}

function afterViewerRequest(
  txn: RoutedTxn,
  assoc: FunctionAssociationPlan,
  before: CfRequest,
  r: InvokeResult,
): StepName {
  recordRun(txn, 'viewer-request', assoc, r, before);
  if (!r.ok) return functionFailure(txn, r.code, r.message);
  if (r.kind === 'response') {
    txn.response = fromCfResponse(r.value as CfResponse);
    txn.conditions.add('generated-at-viewer-request');
    txn.resultType = isCloudFrontFunction(assoc) ? 'FunctionGeneratedResponse' : 'LambdaGeneratedResponse';
    txn.detailedResultType = txn.resultType;
    return 'finalize';
  }
  const next = r.value as CfRequest;
  applyBody(txn, next.body);
  delete next.body;
  txn.request = next;
  if (r.originOverride) txn.originOverride = r.originOverride;
  return 'lookup';
}

/** `action: "replace"` swaps the body the origin receives (spec 1.9); read-only leaves it. */
export function applyBody(txn: ViewerTxn, body: CfBody | undefined): void {
  if (!body || body.action !== 'replace') return;
  txn.body = Buffer.from(body.data, body.encoding === 'text' ? 'utf8' : 'base64');
  // The rest of the viewer's body is not forwarded (the connection closes after the answer).
  txn.bodyStreams = false;
}

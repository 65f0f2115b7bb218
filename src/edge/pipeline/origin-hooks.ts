/**
 * @module edge/pipeline/origin-hooks
 * The origin-request and origin-response hook points (spec 1.3, 1.4, 2.4), used by the fetch
 * steps of the same names. They run once per fetch transaction, so collapsed viewers share one
 * invocation. A failure becomes an error
 * FetchResult carrying the function's result class; the caller moves to `synth`.
 */
import { VergeError } from '../../shared/errors.js';
import {
  CONTRACT,
  shouldRun,
  type CfRequest,
  type CfResponse,
  type FunctionSource,
  type InvokeResult,
} from '../../shared/lambda-edge/index.js';
import type { PipelineDeps } from './deps.js';
import type { EdgeResponse, FetchResult, FetchTxn } from './transaction.js';
import { fromCfResponse, toCfResponse } from './response.js';
import { resultTypeOf } from './function-errors.js';
import { recordRun } from './function-trace.js';
import { bodyForEvent } from './request-body.js';
import { chooseArm } from './canary-arm.js';

type Failed = { kind: 'error'; result: FetchResult };

function failed(r: Extract<InvokeResult, { ok: false }>): Failed {
  return {
    kind: 'error',
    result: {
      response: { status: 0, statusText: '', headers: {}, body: Buffer.alloc(0) },
      source: 'error',
      stored: null,
      error: new VergeError(r.code, r.message),
      errorClass: resultTypeOf(r.code),
    },
  };
}

export async function runOriginRequestHook(
  txn: FetchTxn,
  deps: PipelineDeps,
  request: CfRequest,
  body: Buffer,
): Promise<
  | { kind: 'request'; request: CfRequest; body: Buffer; replaced: boolean; fn: FunctionSource | null }
  | { kind: 'response'; response: EdgeResponse }
  | Failed
> {
  const hook = txn.behavior.hooks['origin-request'];
  if (!hook || !shouldRun('origin-request', txn.conditions))
    return { kind: 'request', request, body, replaced: false, fn: null };
  // Once per fetch: the viewer that started it picks the arm (its result may be cached for all).
  const { assoc, canary } = chooseArm(txn, hook);
  const event = assoc.includeBody
    ? { ...request, body: bodyForEvent(body, CONTRACT['origin-request'].limits.bodyExposedBytes) }
    : request;
  const r = await deps.functions.invoke({
    dist: txn.dist,
    assoc,
    eventType: 'origin-request',
    requestId: txn.requestId,
    request: event,
    ...(canary ? { canary } : {}),
  });
  recordRun(txn, 'origin-request', assoc, r, request);
  if (!r.ok) return failed(r);
  if (r.kind === 'response') return { kind: 'response', response: fromCfResponse(r.value as CfResponse) };
  const next = r.value as CfRequest;
  const replaced = next.body?.action === 'replace';
  const nextBody = replaced ? Buffer.from(next.body!.data, next.body!.encoding === 'text' ? 'utf8' : 'base64') : body;
  delete next.body;
  return { kind: 'request', request: next, body: nextBody, replaced, fn: assoc.source };
}

export async function runOriginResponseHook(
  txn: FetchTxn,
  deps: PipelineDeps,
  request: CfRequest,
  response: EdgeResponse,
): Promise<{ kind: 'response'; response: EdgeResponse } | Failed> {
  const hook = txn.behavior.hooks['origin-response'];
  if (!hook || !shouldRun('origin-response', txn.conditions)) return { kind: 'response', response };
  const { assoc, canary } = chooseArm(txn, hook);
  const r = await deps.functions.invoke({
    dist: txn.dist,
    assoc,
    eventType: 'origin-response',
    requestId: txn.requestId,
    request,
    response: toCfResponse(response),
    ...(canary ? { canary } : {}),
  });
  recordRun(txn, 'origin-response', assoc, r, response);
  if (!r.ok) return failed(r);
  return { kind: 'response', response: fromCfResponse(r.value as CfResponse, response.body) };
}

/**
 * @module edge/pipeline/fetch-steps/origin-request
 * Fetch step `originRequest`: build the request for the current origin (or origin group member)
 * from the viewer's (spec 7.2, 7.3) and run the origin-request function on it once per fetch
 * (spec 1.3). A generated response is stored like an origin's (`store`); a failure ends the
 * fetch with the function's result class.
 */
import { buildOriginRequest } from '../../origin/index.js';
import type { PipelineDeps } from '../deps.js';
import type { FetchStepName } from '../fetch-table.js';
import type { FetchTxn } from '../transaction.js';
import { currentOrigin } from '../fetch-txn.js';
import { runOriginRequestHook } from '../origin-hooks.js';

export function originRequest(f: FetchTxn, deps: PipelineDeps): FetchStepName | Promise<FetchStepName> {
  const cfReq = buildOriginRequest({
    viewer: { ...f.request, headers: f.keyHeaders },
    cachePolicy: f.behavior.cachePolicy,
    originRequestPolicy: f.behavior.originRequestPolicy,
    origin: currentOrigin(f),
    acceptEncoding: f.acceptEncoding,
    cloudFrontHeaders: f.cloudFrontHeaders,
    viewerHttpVersion: f.viewerHttpVersion,
    viaToken: deps.viaToken,
  });
  return runOriginRequestHook(f, deps, cfReq, f.body).then((pre): FetchStepName => {
    if (pre.kind === 'error') {
      f.result = pre.result;
      return 'done';
    }
    if (pre.kind === 'response') {
      f.response = pre.response;
      f.source = 'generated-at-origin-request';
      f.conditions.add('generated-at-origin-request');
      return 'store';
    }
    f.originRequest = pre.request;
    f.originBody = pre.body;
    f.bodyReplaced = pre.replaced;
    f.originFunction = pre.fn;
    return 'origin';
  });
}

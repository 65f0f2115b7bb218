/**
 * @module edge/pipeline/fetch-steps/origin-response
 * Fetch step `originResponse`: the origin-response function, once per fetch, on every origin
 * answer including 4xx and 5xx (spec 1.4). Its response replaces the origin's; a failure ends
 * the fetch with the function's result class.
 */
import type { PipelineDeps } from '../deps.js';
import type { FetchStepName } from '../fetch-table.js';
import type { FetchTxn } from '../transaction.js';
import { runOriginResponseHook } from '../origin-hooks.js';
import { timingOf } from '../fetch-txn.js';

export function originResponse(f: FetchTxn, deps: PipelineDeps): FetchStepName | Promise<FetchStepName> {
  return runOriginResponseHook(f, deps, f.originRequest!, f.response!).then((post): FetchStepName => {
    if (post.kind === 'error') {
      f.result = { ...post.result, ...timingOf(f) };
      return 'done';
    }
    f.response = post.response;
    return 'vary';
  });
}

/**
 * @module edge/pipeline/steps
 * The request lifecycle as a table (DESIGN section 2): each step is a function of the
 * transaction that returns the name of the next step. Which function runs on hit or miss, what
 * a generated response skips and what an origin error skips are decided by the contract table
 * in src/shared/lambda-edge/contract.ts, which the steps consult; not by ad-hoc ifs.
 *
 *   receive ─▶ viewerRequest ─┬─ response ─▶ finalize                   (not cached, no viewer-response)
 *                             └─ request ─▶ lookup ─┬─ fresh hit ─────────────▶ deliver
 *                                                   └─ miss/stale ─▶ fetch (coalesced: origin-request,
 *                                                        origin / failover, origin-response, store) ─▶ deliver
 *   deliver ─▶ viewerResponse (skipped per contract) ─▶ finalize ─▶ done (server transmits, then logs)
 *   any failure ─▶ synth (typed error ─▶ CloudFront status and X-Cache class) ─▶ finalize
 */
import type { PipelineDeps } from './deps.js';
import type { ViewerTxn } from './transaction.js';
import { receive } from './steps/receive.js';
import { viewerRequest } from './steps/viewer-request.js';
import { lookup } from './steps/lookup.js';
import { fetchStep } from './steps/fetch.js';
import { deliver } from './steps/deliver.js';
import { viewerResponse } from './steps/viewer-response.js';
import { synth } from './steps/synth.js';
import { finalize } from './steps/finalize.js';

export type StepName =
  'receive' | 'viewerRequest' | 'lookup' | 'fetch' | 'deliver' | 'viewerResponse' | 'synth' | 'finalize' | 'done';

export type Step = (txn: ViewerTxn, deps: PipelineDeps) => StepName | Promise<StepName>;

export const STEPS: Readonly<Record<Exclude<StepName, 'done'>, Step>> = {
  receive,
  viewerRequest,
  lookup,
  fetch: fetchStep,
  deliver,
  viewerResponse,
  synth,
  finalize,
};

/** The transitions each step may take; run.ts rejects any other (a bug, not a user error). */
export const TRANSITIONS: Readonly<Record<Exclude<StepName, 'done'>, readonly StepName[]>> = {
  receive: ['viewerRequest', 'finalize', 'synth'],
  viewerRequest: ['lookup', 'finalize', 'synth'],
  lookup: ['deliver', 'fetch', 'synth'],
  fetch: ['deliver', 'synth'],
  deliver: ['viewerResponse', 'synth'],
  viewerResponse: ['finalize', 'synth'],
  synth: ['finalize'],
  finalize: ['done'],
};

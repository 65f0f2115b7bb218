/**
 * @module edge/pipeline/steps
 * The viewer's request lifecycle as a table (DESIGN section 2): each step is a function of the
 * transaction that returns the name of the next step. Which function runs on hit or miss, what
 * a generated response skips and what an origin error skips are decided by the contract table
 * in src/shared/lambda-edge/contract.ts, which the steps consult; not by ad-hoc ifs. A miss
 * starts (or joins) a fetch transaction, which has its own table (fetch-table.ts).
 *
 *   receive ─▶ viewerRequest ─┬─ response ─▶ finalize                   (not cached, no viewer-response)
 *                             └─ request ─▶ lookup ─┬─ fresh hit ─────────────▶ deliver
 *                                                   └─ miss/stale ─▶ fetch (join or start a FetchTxn) ─▶ deliver
 *   deliver ─▶ viewerResponse (skipped per contract) ─▶ finalize ─▶ done (server transmits, then logs)
 *   deliver / synth ─▶ errorPage ─▶ lookup ...           (custom error page: the viewer restarts for the page)
 *   any failure ─▶ synth (typed error ─▶ CloudFront status and X-Cache class) ─▶ finalize
 */
import type { PipelineDeps } from './deps.js';
import type { DistTxn, RoutedTxn, ViewerTxn } from './transaction.js';
import { receive } from './steps/receive.js';
import { viewerRequest } from './steps/viewer-request.js';
import { lookup } from './steps/lookup.js';
import { fetchStep } from './steps/fetch.js';
import { deliver } from './steps/deliver.js';
import { errorPage } from './steps/error-page.js';
import { viewerResponse } from './steps/viewer-response.js';
import { synth } from './steps/synth.js';
import { finalize } from './steps/finalize.js';

export type StepName =
  | 'receive'
  | 'viewerRequest'
  | 'lookup'
  | 'fetch'
  | 'deliver'
  | 'errorPage'
  | 'viewerResponse'
  | 'synth'
  | 'finalize'
  | 'done';

export type Step<T extends ViewerTxn = ViewerTxn> = (txn: T, deps: PipelineDeps) => StepName | Promise<StepName>;

/** Steps that run only on a routed transaction (distribution and behavior chosen). */
export const ROUTED_STEPS: ReadonlySet<StepName> = new Set([
  'viewerRequest',
  'lookup',
  'fetch',
  'deliver',
  'viewerResponse',
]);

export const STEPS: {
  readonly receive: Step;
  readonly viewerRequest: Step<RoutedTxn>;
  readonly lookup: Step<RoutedTxn>;
  readonly fetch: Step<RoutedTxn>;
  readonly deliver: Step<RoutedTxn>;
  readonly errorPage: Step<DistTxn>;
  readonly viewerResponse: Step<RoutedTxn>;
  readonly synth: Step;
  readonly finalize: Step;
} = {
  receive,
  viewerRequest,
  lookup,
  fetch: fetchStep,
  deliver,
  errorPage,
  viewerResponse,
  synth,
  finalize,
};

/** The transitions each step may take; run-table.ts rejects any other (a bug, not a user error). */
export const TRANSITIONS: Readonly<Record<Exclude<StepName, 'done'>, readonly StepName[]>> = {
  receive: ['viewerRequest', 'finalize', 'synth'],
  viewerRequest: ['lookup', 'finalize', 'synth'],
  lookup: ['deliver', 'fetch', 'synth'],
  fetch: ['deliver', 'synth', 'lookup'],
  deliver: ['viewerResponse', 'errorPage', 'finalize', 'synth'],
  errorPage: ['lookup'],
  viewerResponse: ['finalize', 'synth'],
  synth: ['errorPage', 'viewerResponse', 'finalize'],
  finalize: ['done'],
};

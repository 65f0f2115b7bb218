/**
 * @module edge/pipeline/fetch-table
 * The fetch transaction's step table (DESIGN section 2; Varnish's `vbf_*` fetch steps beside
 * its `cnt_*` request steps), walked by the same loop and transition check as the viewer's
 * (run-table.ts). One fetch runs per collapsed group of viewers, and stale-while-revalidate
 * starts one with no viewer waiting.
 *
 *   originRequest ─┬─ response ───────────────────────────────────────────────────────▶ store ─▶ done
 *                  ├─ failure ─────────────────────────────────────────────────────────────────▶ done
 *                  └─ request ─▶ origin ─┬─ failover (next member) ─▶ originRequest
 *                                        └─▶ revalidate ─┬─ 304 (refresh) / stale-if-error / error ─▶ done
 *                                                        └─▶ originResponse ─▶ vary ─▶ compress ─▶ store ─▶ done
 */
import { toVergeError } from '../../shared/errors.js';
import type { PipelineDeps } from './deps.js';
import { runTableAsync, type Table } from './run-table.js';
import type { FetchResult, FetchTxn } from './transaction.js';
import { originRequest } from './fetch-steps/origin-request.js';
import { origin } from './fetch-steps/origin.js';
import { revalidate } from './fetch-steps/revalidate.js';
import { originResponse } from './fetch-steps/origin-response.js';
import { vary } from './fetch-steps/vary.js';
import { compress } from './fetch-steps/compress.js';
import { store } from './fetch-steps/store.js';

export type FetchStepName =
  'originRequest' | 'origin' | 'revalidate' | 'originResponse' | 'vary' | 'compress' | 'store' | 'done';

type FetchStep = Exclude<FetchStepName, 'done'>;

export const FETCH_STEPS: Readonly<
  Record<FetchStep, (f: FetchTxn, deps: PipelineDeps) => FetchStepName | Promise<FetchStepName>>
> = {
  originRequest,
  origin,
  revalidate,
  originResponse,
  vary,
  compress,
  store,
};

/** The transitions each fetch step may take; run-table.ts rejects any other. */
export const FETCH_TRANSITIONS: Readonly<Record<FetchStep, readonly FetchStepName[]>> = {
  originRequest: ['origin', 'store', 'done'],
  origin: ['originRequest', 'revalidate'],
  revalidate: ['originResponse', 'done'],
  originResponse: ['vary', 'done'],
  vary: ['compress'],
  compress: ['store'],
  store: ['done'],
};

const FETCH: Table<FetchTxn, FetchStep> = {
  name: 'fetch',
  steps: FETCH_STEPS,
  transitions: FETCH_TRANSITIONS,
  // A step that threw ends the fetch with the error; every viewer of it goes to `synth`.
  fail(f, _step, e) {
    f.result = {
      response: { status: 0, statusText: '', headers: {}, body: Buffer.alloc(0) },
      source: 'error',
      stored: null,
      error: toVergeError(e),
    };
    return 'done';
  },
};

/** Run a fetch transaction to its end. */
export async function runFetch(f: FetchTxn, deps: PipelineDeps): Promise<FetchResult> {
  await runTableAsync(FETCH, f, deps, 'originRequest');
  return f.result!;
}

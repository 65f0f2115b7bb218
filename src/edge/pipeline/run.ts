/**
 * @module edge/pipeline/run
 * The loop that walks the step table. Synchronous steps run without touching a Promise, so a
 * cache hit with no functions completes in one tick. A thrown error moves the transaction to
 * `synth`; a function failure is already a transition to `synth`, never an exception.
 */
import { toVergeError } from '../../shared/errors.js';
import type { PipelineDeps } from './deps.js';
import { STEPS, TRANSITIONS, type StepName } from './steps.js';
import type { ViewerTxn } from './transaction.js';

/** Run the lifecycle; resolves when `txn.response` is ready to transmit. */
export function runPipeline(txn: ViewerTxn, deps: PipelineDeps, from: StepName = 'receive'): void | Promise<void> {
  let step: StepName = from;
  while (step !== 'done') {
    let next: StepName | Promise<StepName>;
    try {
      next = STEPS[step](txn, deps);
    } catch (e) {
      next = fail(txn, step, e);
    }
    if (next instanceof Promise) {
      const current = step;
      return next.then(
        (n) => runPipeline(txn, deps, checked(current, n)),
        (e) => runPipeline(txn, deps, fail(txn, current, e)),
      );
    }
    step = checked(step, next);
  }
}

function checked(from: StepName, to: StepName): StepName {
  if (from === 'done' || !TRANSITIONS[from].includes(to))
    throw new Error(`pipeline bug: step ${from} cannot go to ${to}`);
  return to;
}

function fail(txn: ViewerTxn, step: StepName, e: unknown): StepName {
  if (step === 'synth' || step === 'finalize') throw e; // an error while reporting an error is a bug
  txn.error = toVergeError(e);
  return 'synth';
}

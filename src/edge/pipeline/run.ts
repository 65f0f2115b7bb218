/**
 * @module edge/pipeline/run
 * The viewer's lifecycle: the step table of steps.ts walked by run-table.ts. A thrown error moves
 * the transaction to `synth`; a function failure is already a transition to `synth`.
 */
import { toVergeError } from '../../shared/errors.js';
import type { PipelineDeps } from './deps.js';
import { runTable, type Table } from './run-table.js';
import { ROUTED_STEPS, STEPS, TRANSITIONS, type Step, type StepName } from './steps.js';
import type { ViewerTxn } from './transaction.js';

type ViewerStep = Exclude<StepName, 'done'>;

/** The viewer's table. Steps after `receive` take a RoutedTxn, which `enter` checks. */
const VIEWER: Table<ViewerTxn, ViewerStep> = {
  name: 'pipeline',
  // The one place a RoutedTxn step is called with a ViewerTxn: `enter` has checked it is routed.
  steps: STEPS as Readonly<Record<ViewerStep, Step>>,
  transitions: TRANSITIONS,
  fail(txn, step, e) {
    if (step === 'synth' || step === 'finalize') throw e; // an error while reporting an error is a bug
    txn.error = toVergeError(e);
    return 'synth';
  },
  enter(txn, step) {
    if (ROUTED_STEPS.has(step) && (txn.dist === null || txn.behavior === null))
      throw new Error(`pipeline bug: step ${step} reached before a behavior was chosen`);
    if (step === 'errorPage' && txn.dist === null)
      throw new Error('pipeline bug: an error page without a distribution');
  },
};

/** Run the viewer lifecycle; resolves when `txn.response` is ready to transmit. */
export function runPipeline(txn: ViewerTxn, deps: PipelineDeps, from: ViewerStep = 'receive'): void | Promise<void> {
  return runTable(VIEWER, txn, deps, from);
}

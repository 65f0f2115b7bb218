/**
 * @module edge/pipeline/run-table
 * The loop that walks a step table, the viewer's (steps.ts, run.ts) or a fetch's
 * (fetch-table.ts), with the same transition check for both. Synchronous steps run without touching a Promise, so a
 * cache hit with no functions completes in one tick. A thrown error becomes the table's failure
 * transition (`synth` for a viewer, an error result for a fetch), never an escaping exception.
 */
import type { PipelineDeps } from './deps.js';

/** A step table: each step returns the next step's name; `done` ends the walk. */
export interface Table<T, N extends string> {
  readonly name: string;
  readonly steps: Readonly<Record<N, (txn: T, deps: PipelineDeps) => N | 'done' | Promise<N | 'done'>>>;
  readonly transitions: Readonly<Record<N, readonly (N | 'done')[]>>;
  /** Where a step that threw goes (after recording the error on the transaction). */
  fail(txn: T, step: N, e: unknown): N | 'done';
  /** Checked on every transition, for invariants the types cannot carry. */
  enter?(txn: T, step: N): void;
}

/** Walk `table` from `from`; resolves (or returns, when every step was synchronous) at `done`. */
export function runTable<T, N extends string>(
  table: Table<T, N>,
  txn: T,
  deps: PipelineDeps,
  from: N | 'done',
): void | Promise<void> {
  let step: N | 'done' = from;
  while (step !== 'done') {
    const current: N = step;
    let next: N | 'done' | Promise<N | 'done'>;
    try {
      next = table.steps[current](txn, deps);
    } catch (e) {
      // The failure transition is the table's own, allowed from every step.
      step = entered(table, txn, table.fail(txn, current, e));
      continue;
    }
    if (next instanceof Promise) {
      return next.then(
        (n) => runTable(table, txn, deps, checked(table, txn, current, n)),
        (e: unknown) => runTable(table, txn, deps, entered(table, txn, table.fail(txn, current, e))),
      ) as Promise<void>;
    }
    step = checked(table, txn, current, next);
  }
}

/** Resolves at `done` whether or not any step was asynchronous. */
export function runTableAsync<T, N extends string>(table: Table<T, N>, txn: T, deps: PipelineDeps, from: N) {
  const r = runTable(table, txn, deps, from);
  return r instanceof Promise ? r : Promise.resolve();
}

function checked<T, N extends string>(table: Table<T, N>, txn: T, from: N, to: N | 'done'): N | 'done' {
  if (!table.transitions[from].includes(to)) throw new Error(`${table.name} bug: step ${from} cannot go to ${to}`);
  return entered(table, txn, to);
}

function entered<T, N extends string>(table: Table<T, N>, txn: T, to: N | 'done'): N | 'done' {
  if (to !== 'done') table.enter?.(txn, to);
  return to;
}

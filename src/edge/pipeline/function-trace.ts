/**
 * @module edge/pipeline/function-trace
 * What each function did to one request, for the access log and the console's request view:
 * its event, duration, outcome, and the headers it added, changed (new value) or removed (null).
 */
import type { CfHeaders, EventType, InvokeResult } from '../../shared/lambda-edge/index.js';
import type { FunctionAssociationPlan } from '../config/plan.js';
import type { FunctionRun, ViewerTxn } from './transaction.js';

function joined(h: CfHeaders, k: string): string | undefined {
  const list = h[k];
  return list && list.length > 0 ? list.map((e) => e.value).join(', ') : undefined;
}

/** Same values in the same order (keys are spelling only): the common case, decided without joining. */
function sameValues(a: CfHeaders[string] | undefined, b: CfHeaders[string]): boolean {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < b.length; i++) if (a[i]!.value !== b[i]!.value) return false;
  return true;
}

/** Header changes from `before` to `after`: new or changed names with their value, removed ones as null. */
export function headerDiff(before: CfHeaders, after: CfHeaders): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const k of Object.keys(after)) {
    const list = after[k]!;
    if (list.length === 0 || sameValues(before[k], list)) continue;
    const v = joined(after, k);
    if (v !== undefined && v !== joined(before, k)) out[k] = v;
  }
  for (const k of Object.keys(before)) {
    const list = after[k];
    if ((list === undefined || list.length === 0) && joined(before, k) !== undefined) out[k] = null;
  }
  return out;
}

export function recordRun(
  txn: ViewerTxn,
  eventType: EventType,
  assoc: FunctionAssociationPlan,
  r: InvokeResult,
  before: CfHeaders,
): void {
  const run: FunctionRun = {
    eventType,
    name: assoc.source.name,
    version: assoc.source.version,
    durationMs: r.durationMs,
    ok: r.ok,
    coldStart: r.coldStart,
  };
  if (!r.ok) run.error = r.code;
  else if (r.kind === 'response' && (eventType === 'viewer-request' || eventType === 'origin-request')) {
    run.generated = true;
  } else {
    run.headerChanges = headerDiff(before, (r.value as { headers: CfHeaders }).headers ?? {});
  }
  txn.functionsRan.push(run);
}

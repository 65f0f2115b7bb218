/**
 * @module edge/pipeline/function-trace
 * What each function did to one request, for the access log and the console's request view:
 * its event, duration, outcome, the headers it added, changed (new value) or removed (null), and
 * the URI, query string or status it changed (`{ from, to }`: `/landing` -> `/products/landing-b`).
 */
import type { CfHeaders, EventType, InvokeResult } from '../../shared/lambda-edge/index.js';
import type { FunctionAssociationPlan } from '../config/plan.js';
import type { FunctionRun } from './transaction.js';

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

/** What the function was given: a request (uri, querystring) or a response (status), and headers. */
export interface TraceBefore {
  headers: CfHeaders;
  uri?: string;
  querystring?: string;
  status?: number | string;
}

/** `{ from, to }` when a returned field differs from what the function was given. */
function changed(from: unknown, to: unknown): { from: string; to: string } | undefined {
  if (from === undefined || to === undefined || String(from) === String(to)) return undefined;
  return { from: String(from), to: String(to) };
}

/** Record one run on the transaction (viewer or fetch) it belongs to. */
export function recordRun(
  txn: { functionsRan: FunctionRun[] },
  eventType: EventType,
  assoc: FunctionAssociationPlan,
  r: InvokeResult,
  before: TraceBefore,
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
    const after = r.value as TraceBefore;
    run.headerChanges = headerDiff(before.headers, after.headers ?? {});
    const uri = changed(before.uri, after.uri);
    const querystring = changed(before.querystring, after.querystring);
    const status = changed(before.status, after.status);
    if (uri) run.uri = uri;
    if (querystring) run.querystring = querystring;
    if (status) run.status = status;
  }
  txn.functionsRan.push(run);
}

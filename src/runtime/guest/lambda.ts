/**
 * @module runtime/guest/lambda
 * INSIDE the isolate. The Lambda@Edge handler shim: loads the bundled module, calls
 * `handler(event, context, callback)` and decides when and how the invocation completes,
 * following the Node.js runtime interface client exactly (spec 2.2, 2.3):
 * - a returned thenable completes on settlement, immediately;
 * - `callback(err, result)` completes when the event loop drains if
 *   `context.callbackWaitsForEmptyEventLoop` is true (the default), immediately otherwise;
 * - `context.succeed/fail/done` complete immediately;
 * - the first completion wins, later ones log `Invocation has already been reported as done`;
 * - a synchronous throw is an error; when the loop empties with no completion, an async handler
 *   is an error (Runtime.NodeJsExit) and a plain handler succeeds with `null` (spec 2.2 item 7).
 * The event arrives and the result leaves as JSON text (spec 5.3.1: a JSON round trip).
 */
import { P, op, pendingCount } from './host.js';
import { requireModule } from './modules.js';
import { checkWasmBudget } from './wasm.js';

export interface LambdaConfig {
  functionName: string;
  functionVersion: string;
  memoryMB: number;
  handler: string;
}

interface InvokeMeta {
  id: number;
  awsRequestId: string;
  /** When the invocation times out, on the host clock's monotonic side (op 'clock'). */
  deadlineMs: number;
  logStreamName: string;
}

interface Invocation {
  id: number;
  isAsync: boolean;
  settled: boolean;
  reported: boolean;
  waits: boolean;
  err: unknown;
  result: unknown;
}

type Handler = (event: unknown, context: unknown, callback: (err?: unknown, result?: unknown) => void) => unknown;

let cfg: LambdaConfig;
let handler: Handler | undefined;
let current: Invocation | undefined;

export function configureLambda(c: LambdaConfig): void {
  cfg = c;
}

/** Error text for the log: the stack for Errors (it starts with `Name: message`), else the value. */
export function describeError(err: unknown): string {
  if (err instanceof Error || (typeof err === 'object' && err !== null && 'stack' in err && 'message' in err)) {
    const e = err as Error;
    const stack = typeof e.stack === 'string' ? e.stack : '';
    const head = `${e.name ?? 'Error'}: ${e.message ?? ''}`;
    return stack || head;
  }
  if (typeof err === 'string') return err;
  try {
    return P.stringify(err) ?? P.String(err);
  } catch {
    return P.String(err);
  }
}

/** Run the module wrapper the host compiled and find the exported handler. */
export function loadUser(wrapper: (...a: unknown[]) => unknown, exportPath: string, filename: string): void {
  const module = { exports: {} as Record<string, unknown>, id: '.', filename, loaded: false, children: [], paths: [] };
  const dirname = filename.slice(0, filename.lastIndexOf('/')) || '/';
  P.apply(wrapper, module.exports, [module.exports, requireModule, module, filename, dirname]);
  module.loaded = true;
  let h: unknown = module.exports;
  for (const part of exportPath.split('.')) h = h == null ? undefined : (h as Record<string, unknown>)[part];
  if (typeof h !== 'function') {
    throw new Error(`Runtime.HandlerNotFound: ${cfg.handler} is undefined or not exported`);
  }
  handler = h as Handler;
}

/** Set while `checkIdle` runs: a report made then is its return value instead of a host call. */
let collecting = false;
let collected: string | undefined;

function report(inv: Invocation, kind: 'ok' | 'error' | 'invalid-json', payload: string): void {
  if (inv.reported) return;
  inv.reported = true;
  try {
    checkWasmBudget();
  } catch {
    // Over the limit: the host has been told (op 'oom') and fails this invocation as out of memory.
  }
  if (collecting) collected = REPORT_PREFIX[kind] + payload;
  else op('done', inv.id, kind, payload);
}

/** One character before the payload names the kind of a report returned by `checkIdle`. */
const REPORT_PREFIX = { ok: 'o', error: 'e', 'invalid-json': 'i' } as const;

function reportOutcome(inv: Invocation): void {
  if (inv.err !== undefined && inv.err !== null) return report(inv, 'error', describeError(inv.err));
  let json: string | undefined;
  try {
    json = P.stringify(inv.result === undefined ? null : inv.result);
  } catch (e) {
    return report(inv, 'invalid-json', describeError(e));
  }
  report(inv, 'ok', json ?? 'null');
}

function complete(inv: Invocation, err: unknown, result: unknown, waitForLoop: boolean): void {
  if (inv.settled) {
    op(
      'log',
      'warn',
      'Invocation has already been reported as done. Cannot call complete more than once per invocation.',
    );
    return;
  }
  inv.settled = true;
  inv.err = err;
  inv.result = result;
  // With callbackWaitsForEmptyEventLoop the drain check (or the host's checkIdle) reports it.
  if (!(waitForLoop && inv.waits)) reportOutcome(inv);
}

/** The loop is empty: report a pending completion, or apply the no-completion rules. */
export function onIdle(): void {
  const inv = current;
  if (!inv || inv.reported) return;
  if (inv.settled) return reportOutcome(inv);
  if (inv.isAsync) {
    return report(
      inv,
      'error',
      'Runtime.NodeJsExit: The event loop emptied before the handler finished. This is most commonly caused by a Promise that was never settled.',
    );
  }
  report(inv, 'ok', 'null');
}

/**
 * Called by the host after each synchronous entry: the microtasks have run by now. A report it
 * makes is returned (kind prefix + payload) rather than sent through a second host call.
 */
export function checkIdle(): string | undefined {
  collecting = true;
  collected = undefined;
  try {
    if (pendingCount() === 0) onIdle();
  } finally {
    collecting = false;
  }
  const out = collected;
  collected = undefined;
  return out;
}

/** An exception thrown outside the handler's stack (a timer callback): the invocation fails. */
export function onUncaught(err: unknown): void {
  const inv = current;
  op('crash');
  if (inv && !inv.reported) {
    inv.settled = true;
    report(inv, 'error', describeError(err));
  } else {
    op('log', 'error', `Uncaught exception: ${describeError(err)}`);
  }
}

function makeContext(inv: Invocation, meta: InvokeMeta): Record<string, unknown> {
  const name = `us-east-1.${cfg.functionName}`;
  return {
    functionName: name,
    functionVersion: cfg.functionVersion,
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}:${cfg.functionVersion}`,
    memoryLimitInMB: P.String(cfg.memoryMB),
    awsRequestId: meta.awsRequestId,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: meta.logStreamName,
    identity: undefined,
    clientContext: undefined,
    // On the host's injected clock, so tests can read it exactly.
    getRemainingTimeInMillis: () => Math.max(0, Math.floor(meta.deadlineMs - (op('clock') as number))),
    get callbackWaitsForEmptyEventLoop() {
      return inv.waits;
    },
    set callbackWaitsForEmptyEventLoop(v: boolean) {
      inv.waits = !!v;
    },
    succeed: (result?: unknown) => complete(inv, null, result, false),
    fail: (err?: unknown) => complete(inv, err === undefined || err === null ? 'handled' : err, undefined, false),
    done: (err?: unknown, result?: unknown) => complete(inv, err, result, false),
  };
}

export function invoke(eventJson: string, metaJson: string): void {
  const meta = P.parse(metaJson) as InvokeMeta;
  const inv: Invocation = {
    id: meta.id,
    isAsync: false,
    settled: false,
    reported: false,
    waits: true,
    err: null,
    result: undefined,
  };
  current = inv;
  if (!handler) return report(inv, 'error', 'Runtime.HandlerNotFound: the handler is not loaded');
  const event = P.parse(eventJson) as unknown;
  const context = makeContext(inv, meta);
  const callback = (err?: unknown, result?: unknown) => complete(inv, err, result, true);
  inv.isAsync = (handler as { constructor?: { name?: string } }).constructor?.name === 'AsyncFunction';
  let ret: unknown;
  try {
    ret = P.apply(handler, undefined, [event, context, callback]);
  } catch (err) {
    if (!inv.settled) {
      inv.settled = true;
      report(inv, 'error', describeError(err));
    } else {
      onUncaught(err);
    }
    return;
  }
  if (ret !== null && typeof ret === 'object' && typeof (ret as { then?: unknown }).then === 'function') {
    inv.isAsync = true;
    try {
      (ret as Promise<unknown>).then(
        (r) => complete(inv, null, r, false),
        (e) =>
          complete(
            inv,
            e === undefined || e === null ? new Error('Promise rejected with ' + P.String(e)) : e,
            undefined,
            false,
          ),
      );
    } catch (err) {
      complete(inv, err, undefined, false);
    }
  }
}

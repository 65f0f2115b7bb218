/**
 * @module runtime/host/index
 * The FunctionRuntime for JavaScript and TypeScript (Lambda@Edge `nodejs` and CloudFront
 * Functions) on isolated-vm: `load` builds the package, checks its size against the profile
 * and pre-warms one isolate; `invoke` runs one event on the function's pool and turns what
 * happened into an InvokeResult (validation included, spec 5.3; errors per spec 5.1).
 * Also `nullRuntime`, for an edge started without a runtime.
 */
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../../shared/clock.js';
import { functionLanes } from './cpu-lanes.js';
import { VergeError } from '../../shared/errors.js';
import type {
  CffEvent,
  CfRecord,
  EventType,
  FunctionLogLine,
  FunctionRuntime,
  FunctionSource,
  InvokeInput,
  InvokeResult,
  LoadedFunction,
} from '../../shared/lambda-edge/index.js';
import { silentLogger, type Logger } from '../../shared/log.js';
import { getBuiltins, type BuiltinSet } from './builtins-link.js';
import { ComputeMeter, fromCffResult, loadKvs, toCffEvent } from './cff.js';
import { registerDirectInvoke, unregisterDirectInvoke } from './direct-invoke.js';
import { guestRuntimeSource } from './guest-code.js';
import { releaseSpares, retainSpares } from './blank-isolates.js';
import { IsolatePool, type PoolLogLine, type PoolOutcome, type PoolRun } from './isolate-pool.js';
import { resolveLimits, type EventLimits, type FunctionLimits } from './limits.js';
import { egressPolicy } from './egress/policy.js';
import { buildCffPackage, buildLambdaPackage } from './package.js';
import { stackRemapper } from './source-map.js';
import { MESSAGES, validateLambdaResult } from './validate.js';
import { withPython } from '../python/index.js';

export { PROFILES, resolveLimits } from './limits.js';

export interface RuntimeOptions {
  clock?: Clock;
  logger?: Logger;
  /** Isolates per loaded function unless the profile or the function says otherwise. */
  defaultConcurrency?: number;
  /**
   * The CPU time (ns) the CloudFront Functions compute meter records for one invocation, given
   * what the isolate measured. Defaults to the measurement; tests inject one so the throttling
   * rule is checked on known numbers rather than on this machine's speed.
   */
  cpuMeter?: CpuMeter;
}

/** Maps the isolate's measured CPU time of one invocation (ns) to what the compute meter records. */
export type CpuMeter = (measuredNs: bigint, source: FunctionSource) => bigint;

interface Loaded {
  source: FunctionSource;
  limits: FunctionLimits;
  pool: IsolatePool;
  cff: boolean;
  meter?: ComputeMeter;
  /** What the meter records for an invocation the isolate measured at `ns` (RuntimeOptions.cpuMeter). */
  cpuNs: (ns: bigint) => bigint;
  redact: (s: string) => string;
  packageBytes: number;
}

interface Options {
  clock: Clock;
  logger: Logger;
  defaultConcurrency: number | undefined;
  cpuMeter: CpuMeter;
}

const REGION_ENV = { AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1' };

function loadError(message: string, cause?: unknown): VergeError {
  return new VergeError('FUNCTION_LOAD_ERROR', message, cause === undefined ? {} : { cause });
}

/** Replace every secret value by `***` (longest first, so overlapping secrets stay hidden). */
function redactor(source: FunctionSource): (s: string) => string {
  const values = (source.secretNames ?? [])
    .map((n) => source.env?.[n])
    .filter((v): v is string => typeof v === 'string' && v.length > 0)
    .sort((a, b) => b.length - a.length);
  if (values.length === 0) return (s) => s;
  return (s) => values.reduce((acc, v) => acc.split(v).join('***'), s);
}

function lambdaEnv(source: FunctionSource, memoryMB: number): Record<string, string> {
  const name = `us-east-1.${source.name}`;
  return {
    ...(source.env ?? {}),
    ...REGION_ENV,
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_VERSION: source.version,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMB),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
    LAMBDA_TASK_ROOT: '/var/task',
    LAMBDA_RUNTIME_DIR: '/var/runtime',
    TZ: ':UTC',
    NODE_PATH: '/opt/nodejs/node20/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules',
  };
}

/** What the guest runtime's `init` gets: mode, module lists, lazy globals, env, identity. */
function guestConfig(
  source: FunctionSource,
  cff: boolean,
  builtins: BuiltinSet,
  memoryMB: number,
): Record<string, unknown> {
  // CloudFront Functions: crypto and querystring (js-1.0), plus buffer and Buffer (js-2.0); spec 8.3.
  const v2 = source.runtime === 'cloudfront-js-2.0';
  const cffAllowed = v2 ? ['crypto', 'querystring', 'buffer'] : ['crypto', 'querystring'];
  const userBuiltins = cff
    ? builtins.names.filter((n) => cffAllowed.includes(n))
    : builtins.names.filter((n) => !n.startsWith('__'));
  const globals = cff
    ? Object.fromEntries(Object.entries(builtins.globals).filter(([g, [m]]) => v2 && g === 'Buffer' && m === 'buffer'))
    : builtins.globals;
  return {
    mode: cff ? 'cff' : 'lambda',
    builtins: builtins.names,
    userBuiltins,
    globals,
    env: lambdaEnv(source, memoryMB),
    lambda: {
      functionName: source.name,
      functionVersion: source.version,
      memoryMB,
      handler: source.handler || 'index.handler',
    },
    cff: { runtime: v2 ? '2.0' : '1.0', kvsId: source.kvs?.id ?? null },
  };
}

async function loadFunction(source: FunctionSource, eventTypes: readonly EventType[], o: Options): Promise<Loaded> {
  if (source.runtime === 'python')
    throw loadError(`Python functions are not supported yet (function '${source.name}', runtime 'python')`);
  const cff = source.runtime === 'cloudfront-js-2.0' || source.runtime === 'cloudfront-js-1.0';
  if (!cff && source.runtime !== 'nodejs') throw loadError(`Unknown function runtime '${String(source.runtime)}'`);
  if (cff) {
    const bad = eventTypes.filter((e) => e !== 'viewer-request' && e !== 'viewer-response');
    if (bad.length) throw loadError(`CloudFront Functions run on viewer events only, not ${bad.join(', ')} (spec 8.1)`);
  }
  const limits = resolveLimits(source, eventTypes, o.defaultConcurrency);
  const p = limits.profile;
  const pkg = cff
    ? await buildCffPackage(source, p.cff.codeBytes)
    : await buildLambdaPackage(source, limits.packageBytes);
  const [builtins, guestSource] = await Promise.all([getBuiltins(), guestRuntimeSource()]);
  const kvs = cff && source.kvs ? await loadKvs(source.kvs, o.clock) : undefined;
  const memoryMB = cff ? p.cff.memoryMB : limits.memoryMB;
  const config = guestConfig(source, cff, builtins, memoryMB);
  const pool = new IsolatePool({
    shared: {
      mode: cff ? 'cff' : 'lambda',
      memoryMB,
      guestSource,
      pkg,
      configJson: JSON.stringify(config),
      builtins,
      hostFns: builtins.createHostFunctions({
        fetchTimeoutMs: p.fetchTimeoutMs,
        maxFetchBytes: p.maxFetchBytes,
        egress: egressPolicy(source.egress),
      }),
      initTimeoutMs: cff ? p.cff.hardTimeoutMs : p.initTimeoutMs,
      clock: o.clock,
      syncSliceMs: p.syncSliceMs,
      kvs,
      codeCache: new Map(),
      lanes: functionLanes(),
    },
    concurrency: limits.concurrency,
    version: source.version,
    clock: o.clock,
    syncSliceMs: p.syncSliceMs,
  });
  try {
    await pool.warm();
  } catch (e) {
    pool.close();
    throw loadError(`Function '${source.name}' failed to initialize: ${e instanceof Error ? e.message : String(e)}`, e);
  }
  const meter = cff ? new ComputeMeter(p.cff, o.clock) : undefined;
  const redact = redactor(source);
  const remap = pkg.sourceMap
    ? stackRemapper(pkg.sourceMap, pkg.filename.replace(/^\/var\/task\//, ''), 1)
    : (t: string) => t;
  return {
    source,
    limits,
    pool,
    cff,
    meter,
    cpuNs: (ns) => o.cpuMeter(ns, source),
    redact: (t) => redact(remap(t)),
    packageBytes: pkg.packageBytes,
  };
}

type Failure = Extract<InvokeResult, { ok: false }>['code'];

function failureOf(
  outcome: Exclude<PoolOutcome, { kind: 'ok' }>,
  f: Loaded,
  timeoutMs: number,
): { code: Failure; message: string } {
  const exec: Failure = f.cff ? 'FUNCTION_EXECUTION_ERROR' : 'LAMBDA_EXECUTION_ERROR';
  const memoryMB = f.cff ? f.limits.profile.cff.memoryMB : f.limits.memoryMB;
  switch (outcome.kind) {
    case 'error':
      return { code: exec, message: outcome.message };
    case 'invalid-json':
      return {
        code: f.cff ? 'FUNCTION_VALIDATION_ERROR' : 'LAMBDA_VALIDATION_ERROR',
        message: MESSAGES.notParsable.replace('Lambda', f.cff ? 'CloudFront' : 'Lambda'),
      };
    case 'timeout':
      return f.cff
        ? { code: exec, message: `The function exceeded the maximum execution time of ${timeoutMs} ms` }
        : { code: exec, message: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds` };
    case 'oom':
      return { code: exec, message: `Runtime exited: out of memory (${memoryMB} MB)` };
    case 'crash':
      return { code: exec, message: `Runtime exited: ${outcome.message}` };
    case 'init-error':
      return { code: exec, message: `Runtime.InitError: ${outcome.message}` };
    case 'throttled':
      return f.cff
        ? { code: 'FUNCTION_THROTTLED', message: 'The function was throttled: every instance is busy' }
        : {
            code: 'LAMBDA_LIMIT_EXCEEDED',
            message: `Rate Exceeded: ${f.limits.concurrency} concurrent executions of this function are already running`,
          };
    default:
      return { code: exec, message: 'Runtime exited: unexpected outcome' };
  }
}

/**
 * Run one event on a loaded function. The result itself when the function completed inside the
 * synchronous crossing (the common case for a warm instance), else a promise of it.
 */
function invokeLoaded(f: Loaded, input: InvokeInput, clock: Clock): InvokeResult | Promise<InvokeResult> {
  const t0 = clock.monotonic();
  const cf = input.event.Records[0].cf;
  const eventLimits = f.limits.forEvent(input.eventType);
  const timeoutMs = f.cff ? f.limits.profile.cff.hardTimeoutMs : eventLimits.timeoutMs;
  if (f.meter?.throttled()) {
    return {
      ok: false,
      code: 'FUNCTION_THROTTLED',
      message: 'The function was throttled: its compute utilization stayed above 100 % of the budget',
      logs: [],
      durationMs: 0,
      coldStart: false,
    };
  }
  const cffEvent = f.cff ? toCffEvent(input.eventType, cf as CfRecord['cf']) : undefined;
  const eventJson = JSON.stringify(cffEvent ?? input.event);
  const meta: Record<string, unknown> = f.cff
    ? {
        now: clock.now(),
        eventType: input.eventType,
        rawQueryString: cf.request.querystring === '' ? null : cf.request.querystring,
        originIds: input.originIds ?? null,
      }
    : { awsRequestId: randomUUID(), deadlineMs: t0 + timeoutMs };
  const run = f.pool.run(eventJson, meta, timeoutMs);
  const done = { f, input, clock, t0, timeoutMs, eventLimits, cffEvent };
  return run instanceof Promise ? run.then((r) => resultOf(done, r)) : resultOf(done, run);
}

interface Finishing {
  f: Loaded;
  input: InvokeInput;
  clock: Clock;
  t0: number;
  timeoutMs: number;
  eventLimits: EventLimits;
  cffEvent: CffEvent | undefined;
}

/** Turn what the pool reported into an InvokeResult: logs, failure mapping, validation (spec 5). */
function resultOf(d: Finishing, run: PoolRun): InvokeResult {
  const { f, input, clock } = d;
  const cf = input.event.Records[0].cf;
  const requestId = cf.config.requestId;
  const logs: FunctionLogLine[] = run.logs.map((l: PoolLogLine) => ({
    time: l.time,
    level: l.level,
    message: f.redact(l.message),
    requestId,
  }));
  const common = { logs, durationMs: clock.monotonic() - d.t0, coldStart: run.coldStart };
  const cu =
    f.meter && run.outcome.kind !== 'throttled' ? { computeUtilization: f.meter.record(f.cpuNs(run.cpuNs)) } : {};
  const outcome = run.outcome;
  if (outcome.kind !== 'ok') {
    const { code, message } = failureOf(outcome, f, d.timeoutMs);
    const redacted = f.redact(message);
    if (code.endsWith('EXECUTION_ERROR'))
      logs.push({ time: clock.now(), level: 'error', message: `Invoke Error: ${redacted}`, requestId });
    return { ok: false, code, message: redacted, ...common, ...cu };
  }
  const input2 = cf.response ? { request: cf.request, response: cf.response } : { request: cf.request };
  if (!f.cff) {
    const v = validateLambdaResult(input.eventType, input2, outcome.json, d.eventLimits);
    return v.ok
      ? { ok: true, kind: v.kind, value: v.value, ...common }
      : { ok: false, code: 'LAMBDA_VALIDATION_ERROR', message: f.redact(v.message), ...common };
  }
  const parsed = JSON.parse(outcome.json) as { result: unknown; origin: Record<string, unknown> | null };
  const cffLimits = { ...d.eventLimits, generatedResponseBytes: f.limits.profile.cff.generatedResponseBytes };
  const v = fromCffResult(input.eventType, input2, d.cffEvent!, parsed.result, cffLimits);
  if (!v.ok) return { ok: false, code: 'FUNCTION_VALIDATION_ERROR', message: v.message, ...common, ...cu };
  const originOverride = parsed.origin ?? undefined;
  return { ok: true, kind: v.kind, value: v.value, ...common, ...cu, ...(originOverride ? { originOverride } : {}) };
}

/** The FunctionRuntime for every kind: python sources go to runtime/python, the rest to isolated-vm. */
export function createFunctionRuntime(opts: RuntimeOptions = {}): FunctionRuntime {
  return withPython(createIsolateRuntime(opts), opts);
}

/** The isolated-vm FunctionRuntime. */
function createIsolateRuntime(opts: RuntimeOptions = {}): FunctionRuntime {
  const o: Options = {
    clock: opts.clock ?? systemClock,
    logger: opts.logger ?? silentLogger,
    defaultConcurrency: opts.defaultConcurrency,
    cpuMeter: opts.cpuMeter ?? ((ns) => ns),
  };
  const loaded = new WeakMap<LoadedFunction, Loaded>();
  const all = new Set<Loaded>();
  let closed = false;
  retainSpares();
  return {
    async load(source, { eventTypes }) {
      const f = await loadFunction(source, eventTypes, o);
      all.add(f);
      const handle: LoadedFunction = Object.freeze({ source, packageBytes: f.packageBytes });
      loaded.set(handle, f);
      registerDirectInvoke(handle, (input) => invokeLoaded(f, input, o.clock));
      o.logger.log('debug', 'function loaded', { function: source.name, version: source.version, eventTypes });
      return handle;
    },
    async invoke(fn, input) {
      const f = loaded.get(fn);
      if (!f) throw new VergeError('INTERNAL', `invoke of a function that is not loaded: ${fn.source.name}`);
      return invokeLoaded(f, input, o.clock);
    },
    async unload(fn) {
      const f = loaded.get(fn);
      if (!f) return;
      loaded.delete(fn);
      unregisterDirectInvoke(fn);
      all.delete(f);
      f.pool.close();
    },
    async close() {
      for (const f of all) f.pool.close(true);
      all.clear();
      if (!closed) releaseSpares();
      closed = true;
    },
  };
}

/** A runtime that runs nothing: every load fails. For an edge started without functions. */
export const nullRuntime: FunctionRuntime = {
  async load() {
    throw new VergeError('FUNCTION_LOAD_ERROR', 'no function runtime configured');
  },
  async invoke(fn) {
    throw new VergeError('INTERNAL', `no function runtime configured (invoke of ${fn.source.name})`);
  },
  async unload() {},
  async close() {},
};

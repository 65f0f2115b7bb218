/**
 * @module runtime/python/index
 * The FunctionRuntime for Lambda@Edge Python functions (`runtime: "python"`), on Pyodide in
 * sandboxed interpreter processes (sandbox.ts). Same limit profiles, result validation, error
 * codes and messages as the JavaScript runtime (runtime/host): the handler's return value is
 * JSON-encoded in the interpreter and goes through `validateLambdaResult` (spec 5.3), failures
 * map to the same codes as JavaScript's (spec 5.1). `withPython` puts it beside another runtime:
 * python sources go here, everything else to the other one.
 */
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../../shared/clock.js';
import { VergeError } from '../../shared/errors.js';
import type {
  EventType,
  FunctionLogLine,
  FunctionRuntime,
  FunctionSource,
  InvokeInput,
  InvokeResult,
  LoadedFunction,
} from '../../shared/lambda-edge/index.js';
import { silentLogger, type Logger } from '../../shared/log.js';
import { resolveLimits, type FunctionLimits } from '../host/limits.js';
import { validateLambdaResult } from '../host/validate.js';
import { egressPolicy } from '../host/egress/policy.js';
import { buildPythonPackage } from './package.js';
import { PythonPool, type PoolOutcome } from './pool.js';
import { BASE_DATA_MB } from './sandbox.js';
import { releaseSpares, retainSpares } from './spares.js';

export interface PythonRuntimeOptions {
  clock?: Clock;
  logger?: Logger;
  defaultConcurrency?: number;
  /**
   * Booted interpreters kept ready per memory size (default 1). Each is a process of ~170 MB RSS;
   * more of them absorb a burst of cold starts without a ~1 s process boot on the request path.
   */
  spares?: number;
}

interface Loaded {
  source: FunctionSource;
  limits: FunctionLimits;
  pool: PythonPool;
  redact: (s: string) => string;
  packageBytes: number;
}

function loadError(message: string, cause?: unknown): VergeError {
  return new VergeError('FUNCTION_LOAD_ERROR', message, cause === undefined ? {} : { cause });
}

/** Replace every secret value by `***` (longest first), as the JavaScript runtime does. */
function redactor(source: FunctionSource): (s: string) => string {
  const values = (source.secretNames ?? [])
    .map((n) => source.env?.[n])
    .filter((v): v is string => typeof v === 'string' && v.length > 0)
    .sort((a, b) => b.length - a.length);
  if (values.length === 0) return (s) => s;
  return (s) => values.reduce((acc, v) => acc.split(v).join('***'), s);
}

/** os.environ: the function's variables plus Lambda's reserved ones for the Python runtime. */
function lambdaEnv(source: FunctionSource, memoryMB: number): Record<string, string> {
  const name = `us-east-1.${source.name}`;
  return {
    ...(source.env ?? {}),
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_VERSION: source.version,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMB),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_EXECUTION_ENV: 'AWS_Lambda_python3.14',
    LAMBDA_TASK_ROOT: '/var/task',
    LAMBDA_RUNTIME_DIR: '/var/runtime',
    _HANDLER: source.handler || 'index.handler',
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
    PYTHONPATH: '/var/task',
  };
}

async function loadFunction(
  source: FunctionSource,
  eventTypes: readonly EventType[],
  o: Required<Omit<PythonRuntimeOptions, 'spares'>>,
): Promise<Loaded> {
  const limits = resolveLimits(source, eventTypes, o.defaultConcurrency);
  const pkg = await buildPythonPackage(source, limits.packageBytes);
  const p = limits.profile;
  const pool = new PythonPool({
    files: pkg.files,
    handler: pkg.handler,
    env: lambdaEnv(source, limits.memoryMB),
    version: source.version,
    concurrency: limits.concurrency,
    dataMB: BASE_DATA_MB + limits.memoryMB,
    initTimeoutMs: p.initTimeoutMs,
    fetch: { timeoutMs: p.fetchTimeoutMs, maxBytes: p.maxFetchBytes, egress: egressPolicy(source.egress) },
    clock: o.clock,
    logger: o.logger,
  });
  try {
    await pool.warm();
  } catch (e) {
    pool.close(true);
    throw loadError(`Function '${source.name}' failed to initialize: ${e instanceof Error ? e.message : String(e)}`, e);
  }
  return { source, limits, pool, redact: redactor(source), packageBytes: pkg.packageBytes };
}

type Failure = Extract<InvokeResult, { ok: false }>['code'];

/** The same codes and texts as the JavaScript runtime's failureOf (runtime/host/index.ts). */
function failureOf(
  outcome: Exclude<PoolOutcome, { kind: 'ok' }>,
  f: Loaded,
  timeoutMs: number,
): { code: Failure; message: string } {
  const exec: Failure = 'LAMBDA_EXECUTION_ERROR';
  switch (outcome.kind) {
    case 'error':
      return { code: exec, message: outcome.message };
    case 'timeout':
      return { code: exec, message: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds` };
    case 'oom':
      return { code: exec, message: `Runtime exited: out of memory (${f.limits.memoryMB} MB)` };
    case 'crash':
      return { code: exec, message: `Runtime exited: ${outcome.message}` };
    case 'init-error':
      return { code: exec, message: `Runtime.InitError: ${outcome.message}` };
    case 'throttled':
      return {
        code: 'LAMBDA_LIMIT_EXCEEDED',
        message: `Rate Exceeded: ${f.limits.concurrency} concurrent executions of this function are already running`,
      };
  }
}

async function invokeLoaded(f: Loaded, input: InvokeInput, clock: Clock): Promise<InvokeResult> {
  const t0 = clock.monotonic();
  const cf = input.event.Records[0].cf;
  const requestId = cf.config.requestId;
  const eventLimits = f.limits.forEvent(input.eventType);
  const timeoutMs = eventLimits.timeoutMs;
  const name = `us-east-1.${f.source.name}`;
  const meta = {
    awsRequestId: randomUUID(),
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}:${f.source.version}`,
  };
  const run = await f.pool.run(JSON.stringify(input.event), meta, timeoutMs);
  const logs: FunctionLogLine[] = run.logs.map((l) => ({
    time: l.time,
    level: l.level,
    message: f.redact(l.message),
    requestId,
  }));
  const common = { logs, durationMs: clock.monotonic() - t0, coldStart: run.coldStart };
  const outcome = run.outcome;
  if (outcome.kind !== 'ok') {
    const { code, message } = failureOf(outcome, f, timeoutMs);
    const redacted = f.redact(message);
    if (code === 'LAMBDA_EXECUTION_ERROR')
      logs.push({ time: clock.now(), level: 'error', message: `Invoke Error: ${redacted}`, requestId });
    return { ok: false, code, message: redacted, ...common };
  }
  const before = { request: cf.request, ...(cf.response ? { response: cf.response } : {}) };
  const v = validateLambdaResult(input.eventType, before, outcome.json, eventLimits);
  return v.ok
    ? { ok: true, kind: v.kind, value: v.value, ...common }
    : { ok: false, code: 'LAMBDA_VALIDATION_ERROR', message: f.redact(v.message), ...common };
}

/** The Pyodide FunctionRuntime (python sources only). */
export function createPythonRuntime(opts: PythonRuntimeOptions = {}): FunctionRuntime {
  const o: Required<Omit<PythonRuntimeOptions, 'spares'>> = {
    clock: opts.clock ?? systemClock,
    logger: opts.logger ?? silentLogger,
    defaultConcurrency: opts.defaultConcurrency as number,
  };
  const loaded = new WeakMap<LoadedFunction, Loaded>();
  const all = new Set<Loaded>();
  let closed = false;
  retainSpares(opts.spares ?? 1);
  return {
    async load(source, { eventTypes }) {
      if (source.runtime !== 'python') throw loadError(`The Python runtime cannot run runtime '${source.runtime}'`);
      const f = await loadFunction(source, eventTypes, o);
      all.add(f);
      const handle: LoadedFunction = Object.freeze({ source, packageBytes: f.packageBytes });
      loaded.set(handle, f);
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

/**
 * `other` for every runtime but python; python sources to a Python runtime created on first use
 * (so an edge without Python functions never starts an interpreter).
 */
export function withPython(other: FunctionRuntime, opts: PythonRuntimeOptions = {}): FunctionRuntime {
  let py: FunctionRuntime | undefined;
  const mine = new WeakSet<LoadedFunction>();
  const python = () => (py ??= createPythonRuntime(opts));
  return {
    async load(source, o) {
      if (source.runtime !== 'python') return other.load(source, o);
      const fn = await python().load(source, o);
      mine.add(fn);
      return fn;
    },
    invoke: (fn, input) => (mine.has(fn) ? python().invoke(fn, input) : other.invoke(fn, input)),
    unload: (fn) => (mine.has(fn) ? python().unload(fn) : other.unload(fn)),
    async close() {
      await Promise.all([other.close(), py?.close()]);
    },
  };
}

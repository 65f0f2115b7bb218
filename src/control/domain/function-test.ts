/**
 * @module control/domain/function-test
 * `POST /functions/{name}/test`: run one event through a version (or `$LATEST`) on the same
 * engine as the edge and `verge invoke` (`createFunctionRuntime`), and answer what `verge invoke`
 * prints. The package is written to a temporary `.zip` and loaded from there; secrets are
 * opened for the run and redacted from everything returned (logs by the runtime, the result here).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ERROR_CODES, VergeError } from '../../shared/errors.js';
import type {
  CfEvent,
  CfRequest,
  CfResponse,
  EventType,
  FunctionSource,
  InvokeResult,
} from '../../shared/lambda-edge/index.js';
import type { Clock } from '../../shared/clock.js';
import { createFunctionRuntime } from '../../runtime/host/index.js';
import { sampleEvent } from '../../runtime/host/test-events.js';
import { fromCffTestEvent, isCffTestEvent, type CffTestEvent } from '../../runtime/host/cff-test-event.js';
import type { SecretBox } from '../auth/secret-box.js';
import { REDACTED } from '../compile/secrets.js';
import type { FunctionSettings, Store } from '../store/types.js';

export interface TestOutput {
  result: unknown;
  logs: InvokeResult['logs'];
  durationMs: number;
  coldStart: boolean;
  error: { class: string; code: string; message: string } | null;
  computeUtilization?: number;
  /** CloudFront Functions: the origin chosen by the origin helpers (as `verge invoke` shows it). */
  origin?: NonNullable<Extract<InvokeResult, { ok: true }>['originOverride']>;
}

export interface TestTarget {
  name: string;
  version: string;
  sha256: string;
  zip: Uint8Array;
  settings: FunctionSettings;
}

/**
 * `event` may be a whole event (`{ Records: [...] }`), AWS's CloudFront Functions test event
 * (`{ version, context: { eventType }, viewer, request, response? }`, whose event type must be
 * the one asked for) or `{ request?, response? }` merged into the sample.
 */
export function eventFor(eventType: EventType, event: unknown): CfEvent {
  if (isCffTestEvent(event)) {
    const invalid = (path: string, message: string) =>
      new VergeError('VALIDATION_FAILED', `${path}: ${message}`, { details: { fields: [{ path, message }] } });
    let t: CffTestEvent;
    try {
      t = fromCffTestEvent(
        event as Record<string, unknown>,
        '$.event',
        sampleEvent(eventType).Records[0].cf.request.clientIp,
      );
    } catch (e) {
      const m = /^\$\.event: (\S+) (.*)$/s.exec((e as Error).message);
      throw m ? invalid(`$.event.${m[1]!}`, m[2]!) : invalid('$.event', (e as Error).message);
    }
    if (t.eventType !== eventType)
      throw invalid('$.event.context.eventType', `is ${t.eventType}, but the test runs a ${eventType} event`);
    const base = sampleEvent(eventType);
    const cf = base.Records[0].cf as { request: CfRequest; response?: CfResponse };
    cf.request = t.request;
    if (t.response) cf.response = t.response;
    return base;
  }
  if (event && typeof event === 'object' && 'Records' in event) {
    const problem = eventShapeProblem(event as { Records: unknown });
    if (problem) {
      throw new VergeError('VALIDATION_FAILED', `${problem.path}: ${problem.message}`, {
        details: { fields: [problem] },
      });
    }
    return event as CfEvent;
  }
  const patch = (event ?? {}) as { request?: Partial<CfRequest>; response?: Partial<CfResponse> };
  return sampleEvent(eventType, patch);
}

/** A whole event must have exactly one record with `cf.config` and `cf.request` objects (spec 1.1). */
function eventShapeProblem(event: { Records: unknown }): { path: string; message: string } | null {
  const records = event.Records;
  if (!Array.isArray(records) || records.length !== 1) {
    return { path: '$.event.Records', message: 'must be an array with exactly one record' };
  }
  const cf = (records[0] as { cf?: Record<string, unknown> } | null)?.cf;
  if (!cf || typeof cf !== 'object') return { path: '$.event.Records[0].cf', message: 'must be an object' };
  for (const k of ['config', 'request'] as const) {
    if (!cf[k] || typeof cf[k] !== 'object')
      return { path: `$.event.Records[0].cf.${k}`, message: 'must be an object' };
  }
  return null;
}

function redactor(values: string[]): (s: string) => string {
  const sorted = values.filter((v) => v.length > 0).sort((a, b) => b.length - a.length);
  return (s) => sorted.reduce((acc, v) => acc.split(v).join(REDACTED), s);
}

export async function sourceFor(store: Store, box: SecretBox, t: TestTarget, dir: string): Promise<FunctionSource> {
  const s = t.settings;
  const secretNames = Object.keys(s.secrets);
  const env = { ...s.env, ...Object.fromEntries(secretNames.map((k) => [k, box.open(s.secrets[k]!)])) };
  // The package as an edge holds it: a zip named by its hash (runtime/host/package.ts reads it).
  const path = join(dir, `${t.sha256}.zip`);
  await writeFile(path, t.zip);
  const code: FunctionSource['code'] = { path };
  const source: FunctionSource = {
    id: t.sha256,
    name: t.name,
    version: t.version,
    runtime: s.runtime,
    handler: s.handler,
    code,
    env,
    secretNames,
  };
  if (s.profile !== null) source.profile = s.profile;
  const overrides: NonNullable<FunctionSource['overrides']> = {};
  if (s.timeoutMs !== null) overrides.timeoutMs = s.timeoutMs;
  if (s.memoryMB !== null) overrides.memoryMB = s.memoryMB;
  if (s.concurrency !== null) overrides.concurrency = s.concurrency;
  if (Object.keys(overrides).length > 0) source.overrides = overrides;
  if (s.kvs !== null) source.kvs = { id: s.kvs, data: (await store.kvs.get(s.kvs))?.data ?? {} };
  return source;
}

export async function runTest(
  o: { store: Store; box: SecretBox; clock: Clock },
  t: TestTarget,
  eventType: EventType,
  event: CfEvent,
): Promise<TestOutput> {
  const dir = await mkdtemp(join(tmpdir(), 'verge-test-'));
  const runtime = createFunctionRuntime({ clock: o.clock });
  try {
    const source = await sourceFor(o.store, o.box, t, dir);
    const plain = Object.keys(t.settings.secrets).map((k) => source.env![k]!);
    const redact = redactor(plain.flatMap((v) => [v, JSON.stringify(v).slice(1, -1)]));
    let r: InvokeResult;
    try {
      const fn = await runtime.load(source, { eventTypes: [eventType] });
      r = await runtime.invoke(fn, { eventType, event });
    } catch (e) {
      if (e instanceof VergeError && e.code === 'FUNCTION_LOAD_ERROR') {
        const error = { class: 'FunctionLoadError', code: e.code, message: redact(e.message) };
        return { result: null, logs: [], durationMs: 0, coldStart: true, error };
      }
      throw e;
    }
    return redactOutput(toOutput(r), redact);
  } finally {
    await runtime.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function toOutput(r: InvokeResult): TestOutput {
  const common = {
    logs: r.logs,
    durationMs: Math.round(r.durationMs * 1000) / 1000,
    coldStart: r.coldStart,
    ...(r.computeUtilization !== undefined ? { computeUtilization: r.computeUtilization } : {}),
  };
  if (r.ok)
    return { result: r.value, ...(r.originOverride ? { origin: r.originOverride } : {}), ...common, error: null };
  return { result: null, ...common, error: { class: ERROR_CODES[r.code].xCache, code: r.code, message: r.message } };
}

/** Secrets out of everything, through the JSON text (escaped the way JSON escapes them). */
function redactOutput(out: TestOutput, redact: (s: string) => string): TestOutput {
  const text = JSON.stringify(out);
  const cleaned = redact(text);
  return cleaned === text ? out : (JSON.parse(cleaned) as TestOutput);
}

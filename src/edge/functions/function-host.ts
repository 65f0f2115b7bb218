/**
 * @module edge/functions/function-host
 * The edge's side of the function runtime: loads every function a plan references before the
 * plan goes live (so a broken function refuses the config instead of failing requests), builds
 * the Lambda@Edge event for a hook point, invokes, and records what happened. Result validation
 * happens inside the runtime, so the edge and `verge invoke` share it.
 */
import type {
  CfRequest,
  CfResponse,
  EventType,
  FunctionRuntime,
  InvokeInput,
  InvokeResult,
  LoadedFunction,
} from '../../shared/lambda-edge/index.js';
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { VergeError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { DistributionPlan, EdgePlan, FunctionAssociationPlan } from '../config/plan.js';
import { directInvoke } from '../../runtime/host/direct-invoke.js';

export interface HookCall {
  dist: DistributionPlan;
  /** The association that runs (for a canary trigger, the arm chosen for this viewer). */
  assoc: FunctionAssociationPlan;
  /** A canary trigger's side for this viewer: counted per arm in metrics. */
  canary?: InvocationArm;
  eventType: EventType;
  requestId: string;
  request: CfRequest;
  response?: CfResponse;
}

/** The side of a canary trigger an invocation ran on. */
export interface InvocationArm {
  id: string;
  arm: 'baseline' | 'canary';
}

/** One record per invocation, for logs and metrics. */
export interface InvocationRecord {
  functionName: string;
  functionVersion: string;
  eventType: EventType;
  requestId: string;
  distributionId: string;
  ok: boolean;
  errorCode?: string;
  errorMessage?: string;
  durationMs: number;
  coldStart: boolean;
  canary?: InvocationArm;
}

export class FunctionHost {
  readonly #runtime: FunctionRuntime;
  readonly #logger: Logger;
  /** Loaded functions by `source.id + event types`. */
  #loaded = new Map<string, LoadedFunction>();
  /** `#find` answers per association, for the current `#loaded` (cleared when it changes). */
  #byAssoc = new WeakMap<FunctionAssociationPlan, LoadedFunction>();
  readonly #onInvoke: (r: InvocationRecord) => void;

  constructor(runtime: FunctionRuntime, logger: Logger, onInvoke: (r: InvocationRecord) => void = () => {}) {
    this.#runtime = runtime;
    this.#logger = logger;
    this.#onInvoke = onInvoke;
  }

  /**
   * Identity of a loaded function: the source description (one file attached twice with other
   * env or limits is two functions), the code's modification time (an edited file is reloaded),
   * and the event types (limits depend on them).
   */
  static keyOf(assoc: FunctionAssociationPlan, eventTypes: readonly EventType[]): string {
    return `${sourceKey(assoc)}\u0000${[...eventTypes].sort().join(',')}`;
  }

  /**
   * Load every function the plan references. All-or-nothing: on any failure the already-loaded
   * new functions are unloaded and one error lists every failing function.
   */
  async prepare(plan: EdgePlan): Promise<Map<string, LoadedFunction>> {
    const wanted = new Map<string, { assoc: FunctionAssociationPlan; events: Set<EventType> }>();
    for (const dist of plan.distributions) {
      for (const b of dist.behaviors) {
        if (!b.anyFunctions) continue;
        for (const hook of Object.values(b.hooks)) {
          if (!hook) continue;
          // A canary trigger's arm is loaded with the rest: a broken arm refuses the config too.
          for (const assoc of hook.canary ? [hook, hook.canary.arm] : [hook]) {
            const id = sourceKey(assoc);
            const w = wanted.get(id) ?? { assoc, events: new Set<EventType>() };
            w.events.add(assoc.eventType);
            wanted.set(id, w);
          }
        }
      }
    }
    const next = new Map<string, LoadedFunction>();
    const problems: string[] = [];
    await Promise.all(
      [...wanted.values()].map(async ({ assoc, events }) => {
        const evs = [...events];
        const key = FunctionHost.keyOf(assoc, evs);
        const have = this.#loaded.get(key);
        if (have) return void next.set(key, have);
        try {
          next.set(key, await this.#runtime.load(assoc.source, { eventTypes: evs }));
        } catch (e) {
          problems.push(`${assoc.source.name} (${describe(assoc)}): ${e instanceof Error ? e.message : String(e)}`);
        }
      }),
    );
    if (problems.length > 0) {
      for (const [k, fn] of next) if (!this.#loaded.has(k)) await this.#runtime.unload(fn).catch(() => {});
      throw new VergeError(
        'FUNCTION_LOAD_ERROR',
        `could not load ${problems.length} function(s):\n  ` + problems.join('\n  '),
        {
          details: { problems },
        },
      );
    }
    return next;
  }

  /** Make a prepared set current, unloading functions no longer referenced. */
  async activate(next: Map<string, LoadedFunction>): Promise<void> {
    const old = this.#loaded;
    this.#loaded = next;
    this.#byAssoc = new WeakMap();
    for (const [k, fn] of old) if (!next.has(k)) await this.#runtime.unload(fn).catch(() => {});
  }

  #find(assoc: FunctionAssociationPlan): LoadedFunction | undefined {
    const hit = this.#byAssoc.get(assoc);
    if (hit) return hit;
    const prefix = `${sourceKey(assoc)}\u0000`;
    for (const [k, fn] of this.#loaded) {
      if (!k.startsWith(prefix)) continue;
      this.#byAssoc.set(assoc, fn);
      return fn;
    }
    return undefined;
  }

  /**
   * Invoke the association's function on one event and record it. The result itself when the
   * function completed synchronously (runtime/host/direct-invoke), else a promise of it.
   */
  invoke(call: HookCall): InvokeResult | Promise<InvokeResult> {
    const fn = this.#find(call.assoc);
    const src = call.assoc.source;
    if (!fn) {
      const r: InvokeResult = {
        ok: false,
        code: src.runtime.startsWith('cloudfront-js') ? 'FUNCTION_EXECUTION_ERROR' : 'LAMBDA_EXECUTION_ERROR',
        message: `function ${src.name} is not loaded on this edge`,
        logs: [],
        durationMs: 0,
        coldStart: false,
      };
      this.#record(call, r);
      return r;
    }
    const config = {
      distributionDomainName: call.dist.domainName,
      distributionId: call.dist.id,
      eventType: call.eventType,
      requestId: call.requestId,
    };
    const cf = call.response
      ? { config, request: call.request, response: call.response }
      : { config, request: call.request };
    const input: InvokeInput = {
      eventType: call.eventType,
      event: { Records: [{ cf }] },
      originIds: originIdsOf(call.dist),
    };
    const direct = directInvoke(fn);
    const result = direct ? direct(input) : this.#runtime.invoke(fn, input);
    if (result instanceof Promise) {
      return result.then((r) => {
        this.#record(call, r);
        return r;
      });
    }
    this.#record(call, result);
    return result;
  }

  #record(call: HookCall, r: InvokeResult): void {
    const src = call.assoc.source;
    if (r.logs.length > 0 || !r.ok) {
      const base = {
        functionName: src.name,
        functionVersion: src.version,
        eventType: call.eventType,
        requestId: call.requestId,
        distributionId: call.dist.id,
      };
      for (const line of r.logs) {
        this.#logger.log(line.level === 'error' ? 'error' : line.level === 'warn' ? 'warn' : 'info', line.message, {
          type: 'function-log',
          ...base,
          consoleLevel: line.level,
          logTime: new Date(line.time).toISOString(),
        });
      }
      if (!r.ok) {
        this.#logger.log('error', `${r.code}: ${r.message}`, { type: 'function-error', ...base, errorCode: r.code });
      }
    }
    const record: InvocationRecord = {
      functionName: src.name,
      functionVersion: src.version,
      eventType: call.eventType,
      requestId: call.requestId,
      distributionId: call.dist.id,
      ok: r.ok,
      durationMs: r.durationMs,
      coldStart: r.coldStart,
    };
    if (!r.ok) {
      record.errorCode = r.code;
      record.errorMessage = r.message;
    }
    if (call.canary) record.canary = call.canary;
    this.#onInvoke(record);
  }

  async close(): Promise<void> {
    for (const fn of this.#loaded.values()) await this.#runtime.unload(fn).catch(() => {});
    this.#loaded.clear();
    this.#byAssoc = new WeakMap();
    await this.#runtime.close();
  }
}

const originIdCache = new WeakMap<DistributionPlan, readonly string[]>();

/** The distribution's origin ids (CloudFront Functions' origin helpers), once per plan. */
function originIdsOf(dist: DistributionPlan): readonly string[] {
  let ids = originIdCache.get(dist);
  if (!ids) originIdCache.set(dist, (ids = Object.freeze([...dist.origins.keys()])));
  return ids;
}

const keyCache = new WeakMap<FunctionAssociationPlan, string>();

function sourceKey(assoc: FunctionAssociationPlan): string {
  let k = keyCache.get(assoc);
  if (k !== undefined) return k;
  const { code, ...rest } = assoc.source;
  const codeKey =
    'path' in code
      ? `${code.path}@${codeMtime(code.path)}`
      : createHash('sha256').update(JSON.stringify(code)).digest('hex');
  k = `${codeKey}\u0000${JSON.stringify(rest)}`;
  keyCache.set(assoc, k);
  return k;
}

/** Latest modification time under a path (files only; node_modules and dot-folders skipped). */
function codeMtime(path: string): number {
  let latest = 0;
  let budget = 2000;
  const walk = (p: string) => {
    if (budget-- <= 0) return;
    let st;
    try {
      st = statSync(p);
    } catch {
      return;
    }
    if (!st.isDirectory()) return void (latest = Math.max(latest, st.mtimeMs));
    for (const name of readdirSync(p)) if (name !== 'node_modules' && !name.startsWith('.')) walk(join(p, name));
  };
  walk(path);
  return latest;
}

function describe(a: FunctionAssociationPlan): string {
  return `${a.eventType}, ${'path' in a.source.code ? a.source.code.path : 'inline code'}`;
}

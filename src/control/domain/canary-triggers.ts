/**
 * @module control/domain/canary-triggers
 * Canary triggers in the store (issue 10 item 5): starting one on a behavior+event that already
 * runs a version, and the changes that follow it (a step up, promote, roll back), each one
 * snapshot through `App.change` so it shows in the deploy history. `CanaryWatch` runs them by
 * itself: every tick it steps canaries whose interval passed and, for those with auto-rollback,
 * compares the two arms' telemetry (the PoPs label function points with the canary id and arm)
 * with `judge` and puts the previous version back when the new one is worse. The decisions are
 * canary.ts's; this file only reads the store and applies them.
 */
import { randomUUID } from 'node:crypto';
import { ERROR_COUNTER_PREFIX } from '../../shared/replication/protocol.js';
import { VergeError } from '../../shared/errors.js';
import type { App } from '../app.js';
import { validationError } from './validation.js';
import type { Store, TriggerRecord } from '../store/types.js';
import { quantile } from '../telemetry/metrics.js';
import type { TelemetryWriter } from '../telemetry/writer.js';
import {
  CANARY_RULES,
  canaryProblems,
  isActive,
  judge,
  newCanary,
  nextStep,
  withEvent,
  type ArmStats,
  type CanaryInput,
  type CanaryRecord,
} from './canary.js';
import type { TriggerInput } from './triggers.js';

const fnOf = (name: string, version: number) => `${name}:${version}`;
const where = (t: TriggerRecord) => `${t.distributionId} ${t.behavior} ${t.eventType}`;

/**
 * The trigger a canary goes on (the one already on that behavior+event), checked before anything
 * changes. Throws VALIDATION_FAILED naming the problem and the next step.
 */
export async function canaryBase(
  store: Store,
  b: TriggerInput,
  c: CanaryInput,
  version: { name: string; version: number },
): Promise<TriggerRecord> {
  const problems = canaryProblems(c);
  const prev = (await store.triggers.list({ distributionId: b.distributionId })).find(
    (t) => t.behavior === b.behavior && t.eventType === b.eventType,
  );
  if (!prev)
    problems.unshift({
      path: '$.canary',
      message: `${b.distributionId} ${b.behavior} ${b.eventType} runs no function yet, so there is no previous version to compare a canary with; attach one first without --canary (verge triggers add --distribution ${b.distributionId} --behavior ${b.behavior} --event ${b.eventType} --function ${fnOf(version.name, version.version)})`,
    });
  else if (prev.functionName === version.name && prev.functionVersion === version.version)
    problems.unshift({
      path: '$.function',
      message: `${fnOf(version.name, version.version)} already runs on ${where(prev)}; publish a new version and canary that`,
    });
  if (problems.length > 0 || !prev) throw validationError(problems);
  return prev;
}

/** Put a canary on `prev` (replacing one already there); inside App.change. */
export async function startCanary(
  store: Store,
  prev: TriggerRecord,
  version: { name: string; version: number },
  c: CanaryInput,
  includeBody: boolean | undefined,
  now: number,
): Promise<TriggerRecord> {
  const id = `can_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const rec: TriggerRecord = {
    ...prev,
    includeBody: includeBody ?? prev.includeBody,
    revision: prev.revision + 1,
    canary: newCanary(id, version, c, now, fnOf(prev.functionName, prev.functionVersion)),
  };
  await store.triggers.replace(rec);
  return rec;
}

/** The trigger's active canary, or NOT_FOUND naming what to do instead. */
export async function activeCanary(store: Store, id: string): Promise<{ t: TriggerRecord; c: CanaryRecord }> {
  const t = await store.triggers.get(id);
  if (!t) throw new VergeError('NOT_FOUND', `trigger ${id} does not exist (verge triggers list shows them)`);
  const last: CanaryRecord | null = t.canary;
  if (!isActive(t.canary))
    throw new VergeError(
      'NOT_FOUND',
      `trigger ${id} has no canary running${last ? ` (its last one was ${last.state})` : ''}; start one with verge triggers add ... --canary PCT`,
    );
  return { t, c: t.canary };
}

/** Step up, promote (the canary's version becomes the trigger's) or roll back (the canary ends); one snapshot. */
export async function applyCanary(
  app: App,
  id: string,
  action: { kind: 'step'; percent: number } | { kind: 'promote' } | { kind: 'rollback'; reason: string },
): Promise<TriggerRecord> {
  const now = app.clock.now();
  let why = '';
  const out = await app.change(
    () => why,
    async () => {
      const { t, c } = await activeCanary(app.store, id);
      const canaryFn = fnOf(c.functionName, c.functionVersion);
      const baseFn = fnOf(t.functionName, t.functionVersion);
      let next: TriggerRecord;
      // A decision made on an older read (another tick got there first) changes nothing.
      if (action.kind === 'step' && c.percent >= action.percent) return t;
      if (action.kind === 'step') {
        why = `canary ${canaryFn} on ${where(t)} stepped to ${action.percent}%`;
        next = {
          ...t,
          canary: withEvent(c, { at: now, kind: 'stepped', percent: action.percent, message: why }),
        };
      } else if (action.kind === 'promote') {
        why = `canary ${canaryFn} on ${where(t)} promoted: it runs for every viewer (was ${baseFn})`;
        next = {
          ...t,
          functionName: c.functionName,
          functionVersion: c.functionVersion,
          canary: withEvent(c, { at: now, kind: 'promoted', percent: 100, message: why }, 'promoted'),
        };
      } else {
        why = `canary ${canaryFn} on ${where(t)} rolled back to ${baseFn}: ${action.reason}`;
        next = {
          ...t,
          canary: withEvent(c, { at: now, kind: 'rolled-back', percent: 0, message: why }, 'rolled-back'),
        };
      }
      next.revision = t.revision + 1;
      await app.store.triggers.replace(next);
      return next;
    },
  );
  if (why)
    app.logger.log(action.kind === 'rollback' ? 'warn' : 'info', why, {
      type: 'canary',
      trigger: id,
      snapshot: out.snapshot,
    });
  return out.result;
}

/** Both arms' invocations, errors and p99 over the window, summed across PoPs. */
export async function armStats(
  telemetry: Pick<TelemetryWriter, 'queryPoints'>,
  c: CanaryRecord,
  now: number,
): Promise<{ baseline: ArmStats; canary: ArmStats }> {
  const arm = async (name: 'baseline' | 'canary'): Promise<ArmStats> => {
    const points = await telemetry.queryPoints({
      kind: 'function',
      since: Math.max(now - CANARY_RULES.windowMs, c.stepAt - 10_000),
      until: now + 1,
      labels: { canary: c.id, arm: name },
    });
    let invocations = 0;
    let errors = 0;
    const hist = new Map<number, number>();
    for (const p of points) {
      invocations += p.counters.invocations ?? 0;
      for (const [k, v] of Object.entries(p.counters)) if (k.startsWith(ERROR_COUNTER_PREFIX)) errors += v;
      p.histogram?.counts.forEach((n, i) => {
        const bound = p.histogram!.boundsMs[i] ?? Infinity;
        hist.set(bound, (hist.get(bound) ?? 0) + n);
      });
    }
    return { invocations, errors, p99: quantile(hist, 0.99) };
  };
  return { baseline: await arm('baseline'), canary: await arm('canary') };
}

/**
 * Runs the canaries by themselves: every `tickMs` (1 s by default) each active canary is judged
 * (auto-rollback) and stepped on the injected clock. A failure on one canary is logged and does
 * not stop the others.
 */
export class CanaryWatch {
  readonly #app: App;
  readonly #timer: NodeJS.Timeout;
  /** The pass under way: a slow store must not start a second one over it. */
  #running: Promise<string[]> | undefined;

  constructor(app: App, tickMs = 1000) {
    this.#app = app;
    this.#timer = setInterval(() => {
      this.tick().catch((e: Error) => app.logger.log('error', 'canary check failed', { error: e.message }));
    }, tickMs);
    this.#timer.unref();
  }

  /** One pass over the active canaries; returns what it did (for tests and logs). */
  tick(): Promise<string[]> {
    this.#running ??= this.#pass().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #pass(): Promise<string[]> {
    const done: string[] = [];
    const { store, clock, logger } = this.#app;
    for (const t of await store.triggers.list()) {
      if (!isActive(t.canary)) continue;
      const c = t.canary;
      try {
        const now = clock.now();
        if (c.autoRollback) {
          const { baseline, canary } = await armStats(this.#app.telemetry, c, now);
          const v = judge(baseline, canary);
          if (v.worse) {
            await applyCanary(this.#app, t.id, { kind: 'rollback', reason: v.reason });
            done.push(`${t.id} rolled back`);
            continue;
          }
        }
        const step = nextStep(c, now);
        if (step === 'promote') await applyCanary(this.#app, t.id, { kind: 'promote' });
        else if (step !== null) await applyCanary(this.#app, t.id, { kind: 'step', percent: step });
        if (step !== null) done.push(`${t.id} ${step === 'promote' ? 'promoted' : `stepped to ${step}%`}`);
      } catch (e) {
        logger.log('error', 'canary check failed', { trigger: t.id, error: (e as Error).message });
      }
    }
    return done;
  }

  close(): void {
    clearInterval(this.#timer);
  }
}

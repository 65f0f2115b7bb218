/**
 * @module control/domain/canary
 * The decisions of a canary trigger (issue 10 item 5), as pure functions of its record, the
 * time and the two arms' numbers, so they run on an injected clock in unit tests: what input is
 * acceptable, when the share steps up, when it is done, and whether the new version is worse
 * than the old one. `canary-watch.ts` applies these decisions to the store; the edge only ever
 * sees the current share (edge/pipeline/canary-arm.ts).
 *
 * The rollback rule (docs/api.md, "Canary triggers"): over the last WINDOW of telemetry, once the
 * canary arm has at least MIN_INVOCATIONS invocations, it is worse when
 *  - it had at least MIN_ERRORS errors and its error rate exceeds the baseline's by more than
 *    ERROR_RATE_MARGIN (absolute: 5 percentage points), or
 *  - the baseline also has MIN_INVOCATIONS invocations and the canary's p99 duration is over
 *    both LATENCY_FACTOR times the baseline's p99 and the baseline's p99 plus LATENCY_MARGIN_MS.
 * The minimums keep one error, or one slow cold start, from tripping it.
 */
import type { ConfigProblem } from '../../shared/config/types.js';

export type CanaryState = 'stepping' | 'holding' | 'promoted' | 'rolled-back';

export interface CanaryEvent {
  at: number;
  kind: 'started' | 'stepped' | 'promoted' | 'rolled-back';
  /** The share after the event. */
  percent: number;
  message: string;
}

export interface CanaryRecord {
  /** Stable for the canary's life: the edge's hash salt and the metrics label. */
  id: string;
  /** The new version, run for `percent` of viewers. */
  functionName: string;
  functionVersion: number;
  percent: number;
  /** The share at each step, starting with the first; `[percent]` when it does not step. */
  steps: number[];
  stepIntervalMs: number | null;
  autoRollback: boolean;
  state: CanaryState;
  startedAt: number;
  /** When the current share started. */
  stepAt: number;
  /** What happened, oldest first (at most MAX_EVENTS). */
  events: CanaryEvent[];
}

export interface CanaryInput {
  percent: number;
  steps?: number[];
  stepIntervalMs?: number;
  autoRollback?: boolean;
}

export const CANARY_RULES = {
  windowMs: 60_000,
  minInvocations: 20,
  minErrors: 3,
  errorRateMargin: 0.05,
  latencyFactor: 2,
  latencyMarginMs: 50,
  minStepIntervalMs: 1000,
  defaultStepIntervalMs: 5 * 60_000,
} as const;

export const MAX_EVENTS = 20;

/** Every problem with a canary request, each at its JSON path; empty when it is acceptable. */
export function canaryProblems(c: CanaryInput): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const pct = c.percent;
  if (!Number.isInteger(pct) || pct < 1 || pct > 99)
    out.push({
      path: '$.canary.percent',
      message: `${String(pct)} is not a share the canary can start at: give a whole percent from 1 to 99 (100 would replace the version outright: attach it without --canary)`,
    });
  if (c.steps !== undefined) {
    const s = c.steps;
    const next = 'e.g. --steps 10,50,100';
    if (s.length === 0 || s.some((x) => !Number.isInteger(x) || x < 1 || x > 100))
      out.push({ path: '$.canary.steps', message: `every step is a whole percent from 1 to 100 (${next})` });
    else if (s.some((x, i) => i > 0 && x <= s[i - 1]!))
      out.push({ path: '$.canary.steps', message: `steps must increase: ${s.join(',')} does not (${next})` });
    else if (s[s.length - 1] !== 100)
      out.push({
        path: '$.canary.steps',
        message: `the last step must be 100 (promoted): ${s.join(',')} ends at ${s[s.length - 1]} (${next})`,
      });
    else if (Number.isInteger(pct) && s[0]! < pct)
      out.push({
        path: '$.canary.steps',
        message: `the first step (${s[0]}) is below the starting share ${pct}%; start the steps at ${pct} or above`,
      });
  }
  if (c.stepIntervalMs !== undefined) {
    if (c.steps === undefined)
      out.push({ path: '$.canary.stepIntervalSeconds', message: 'a step interval needs steps (--steps 10,50,100)' });
    else if (!Number.isFinite(c.stepIntervalMs) || c.stepIntervalMs < CANARY_RULES.minStepIntervalMs)
      out.push({ path: '$.canary.stepIntervalSeconds', message: 'the step interval must be at least 1 second' });
  }
  return out;
}

/** A new canary record for an acceptable input (canaryProblems is empty). */
export function newCanary(
  id: string,
  fn: { name: string; version: number },
  c: CanaryInput,
  now: number,
  baseline: string,
): CanaryRecord {
  const steps = c.steps ? [...new Set([c.percent, ...c.steps])] : [c.percent];
  const stepping = steps.length > 1;
  return {
    id,
    functionName: fn.name,
    functionVersion: fn.version,
    percent: c.percent,
    steps,
    stepIntervalMs: stepping ? (c.stepIntervalMs ?? CANARY_RULES.defaultStepIntervalMs) : null,
    autoRollback: c.autoRollback ?? false,
    state: stepping ? 'stepping' : 'holding',
    startedAt: now,
    stepAt: now,
    events: [
      {
        at: now,
        kind: 'started',
        percent: c.percent,
        message: `${fn.name}:${fn.version} runs for ${c.percent}% of viewers, ${baseline} for the rest`,
      },
    ],
  };
}

export function isActive(c: CanaryRecord | null | undefined): c is CanaryRecord & { state: 'stepping' | 'holding' } {
  return !!c && (c.state === 'stepping' || c.state === 'holding');
}

/** Where a stepping canary goes at `now`: the next share, 'promote' after the last (100), or null (not yet). */
export function nextStep(c: CanaryRecord, now: number): number | 'promote' | null {
  if (c.state !== 'stepping' || c.stepIntervalMs === null) return null;
  if (now - c.stepAt < c.stepIntervalMs) return null;
  const next = c.steps.find((s) => s > c.percent);
  return next === undefined || next >= 100 ? 'promote' : next;
}

/** The record after an event (the share and state it leaves), keeping the last MAX_EVENTS events. */
export function withEvent(c: CanaryRecord, e: CanaryEvent, state: CanaryState = c.state): CanaryRecord {
  const events = [...c.events, e].slice(-MAX_EVENTS);
  const stepped = e.percent !== c.percent;
  return { ...c, percent: e.percent, state, stepAt: stepped ? e.at : c.stepAt, events };
}

/** One arm's numbers over the window. */
export interface ArmStats {
  invocations: number;
  errors: number;
  /** ms; null without observations. */
  p99: number | null;
}

export type Verdict = { worse: false; reason: string } | { worse: true; reason: string };

const pctText = (n: number) => `${(n * 100).toFixed(1)}%`;

/** Is the canary arm worse than the baseline arm, by the rule in this module's header? */
export function judge(baseline: ArmStats, canary: ArmStats, rules = CANARY_RULES): Verdict {
  if (canary.invocations < rules.minInvocations)
    return {
      worse: false,
      reason: `waiting for ${rules.minInvocations} canary invocations (${canary.invocations} so far)`,
    };
  const rate = (a: ArmStats) => (a.invocations === 0 ? 0 : a.errors / a.invocations);
  const cr = rate(canary);
  const br = rate(baseline);
  const window = `over the last ${Math.round(rules.windowMs / 1000)} s`;
  if (canary.errors >= rules.minErrors && cr - br > rules.errorRateMargin)
    return {
      worse: true,
      reason: `error rate ${pctText(cr)} (${canary.errors} of ${canary.invocations}) against ${pctText(br)} (${baseline.errors} of ${baseline.invocations}) on the previous version ${window}`,
    };
  if (
    baseline.invocations >= rules.minInvocations &&
    canary.p99 !== null &&
    baseline.p99 !== null &&
    canary.p99 > baseline.p99 * rules.latencyFactor &&
    canary.p99 > baseline.p99 + rules.latencyMarginMs
  )
    return {
      worse: true,
      reason: `p99 ${canary.p99} ms against ${baseline.p99} ms on the previous version ${window}`,
    };
  return { worse: false, reason: `no worse than the previous version ${window}` };
}

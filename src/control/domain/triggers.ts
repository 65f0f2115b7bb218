/**
 * @module control/domain/triggers
 * Triggers (Lambda@Edge function associations): `name:version` on a distribution's cache behavior
 * and event type, checked at attach time the way CloudFront checks an association (spec 3.5,
 * 4.1, 4.2): numbered versions only, IncludeBody on request events only, CloudFront Functions on
 * viewer events only, and the package size against the event's limit.
 */
import { unzipSync } from 'fflate';
import type { ConfigProblem } from '../../shared/config/types.js';
import { INCLUDE_BODY_MESSAGE } from '../../shared/config/rules-behaviors.js';
import { CONTRACT, type EventType } from '../../shared/lambda-edge/index.js';
import { PROFILES } from '../../runtime/host/index.js';
import { validationError } from './validation.js';
import { DEFAULT_BEHAVIOR } from '../compile/snapshot.js';
import type { Store, TriggerRecord, VersionRecord } from '../store/types.js';
import { isActive, type CanaryRecord } from './canary.js';
import { isCff } from './functions.js';
import { bundleOf } from './bundles.js';

export interface TriggerInput {
  distributionId: string;
  behavior: string;
  eventType: EventType;
  function: string;
  includeBody?: boolean;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A trigger's canary as the API shows it: the split while it runs, its schedule, state and events. */
export function canaryView(t: TriggerRecord) {
  const c: CanaryRecord | null = t.canary;
  if (!c) return null;
  const fn = `${c.functionName}:${c.functionVersion}`;
  const active = isActive(c);
  const next = active ? nextStepAt(c) : null;
  return {
    id: c.id,
    function: fn,
    state: c.state,
    percent: active ? c.percent : c.state === 'promoted' ? 100 : 0,
    split: active
      ? [
          { function: `${t.functionName}:${t.functionVersion}`, percent: 100 - c.percent },
          { function: fn, percent: c.percent },
        ]
      : [{ function: `${t.functionName}:${t.functionVersion}`, percent: 100 }],
    steps: c.steps,
    stepIntervalSeconds: c.stepIntervalMs === null ? null : c.stepIntervalMs / 1000,
    nextStepAt: next === null ? null : iso(next),
    autoRollback: c.autoRollback,
    startedAt: iso(c.startedAt),
    events: c.events.map((e) => ({ ...e, at: iso(e.at) })),
  };
}

/** When a stepping canary takes its next step (or is promoted). */
function nextStepAt(c: CanaryRecord): number | null {
  return c.state === 'stepping' && c.stepIntervalMs !== null ? c.stepAt + c.stepIntervalMs : null;
}

export function triggerView(t: TriggerRecord) {
  return {
    id: t.id,
    distributionId: t.distributionId,
    behavior: t.behavior,
    eventType: t.eventType,
    function: `${t.functionName}:${t.functionVersion}`,
    includeBody: t.includeBody,
    canary: canaryView(t),
    createdAt: iso(t.createdAt),
    etag: `"r${t.revision}"`,
  };
}

async function codeBytes(store: Store, v: VersionRecord): Promise<number> {
  const files = unzipSync(await bundleOf(store, v.sha256, `${v.name}:${v.version}`));
  return Object.values(files).reduce((n, f) => n + f.byteLength, 0);
}

/** Size limits of spec 4.1 (Lambda@Edge, compressed package) and 4.2 (CloudFront Functions, code). */
async function sizeProblem(store: Store, v: VersionRecord, eventType: EventType): Promise<string | undefined> {
  const profile = PROFILES[v.settings.profile ?? 'cloudfront'];
  if (isCff(v.settings)) {
    const bytes = await codeBytes(store, v);
    const max = profile.cff.codeBytes;
    return bytes > max
      ? `The function code size is larger than the maximum allowed size for CloudFront Functions: ${bytes} Max allowed: ${max}`
      : undefined;
  }
  const max = profile.events[eventType].packageBytes;
  return v.size > max
    ? `The function code size is larger than the maximum allowed size for functions that are triggered by a CloudFront event: ${v.size} Max allowed: ${max}`
    : undefined;
}

/** Why name:version cannot be attached: no such function, or no such version of it (and which there are). */
async function missingVersion(store: Store, name: string, version: number): Promise<string> {
  if (!(await store.functions.get(name))) return `function ${name} does not exist (GET /api/v1/functions lists them)`;
  const latest = (await store.functions.versions(name)).reduce<number | undefined>(
    (a, v) => Math.max(a ?? 0, v.version),
    undefined,
  );
  const publish = `POST /api/v1/functions/${name}/publish`;
  return latest === undefined
    ? `function ${name} has no published version yet (publish one: ${publish})`
    : `function ${name} has no version ${version} (its newest is ${latest}; publish a new one: ${publish})`;
}

/** Check an attach request; returns the version it names. Throws VALIDATION_FAILED naming each field. */
export async function checkTrigger(store: Store, t: TriggerInput): Promise<VersionRecord> {
  const problems: ConfigProblem[] = [];
  const d = await store.distributions.get(t.distributionId);
  if (!d) problems.push({ path: '$.distributionId', message: `distribution ${t.distributionId} does not exist` });
  else if (
    t.behavior !== DEFAULT_BEHAVIOR &&
    !(d.config.cacheBehaviors ?? []).some((b) => b.pathPattern === t.behavior)
  ) {
    const known = [DEFAULT_BEHAVIOR, ...(d.config.cacheBehaviors ?? []).map((b) => b.pathPattern)];
    problems.push({
      path: '$.behavior',
      message: `distribution ${d.id} has no cache behavior ${t.behavior} (it has ${known.join(', ')})`,
    });
  }
  const m = /^([A-Za-z0-9_-]{1,64}):(.+)$/.exec(t.function);
  let v: VersionRecord | undefined;
  if (!m) problems.push({ path: '$.function', message: 'must be name:version, e.g. auth:3' });
  else if (!/^\d+$/.test(m[2]!)) {
    problems.push({
      path: '$.function',
      message: `only a numbered version can be attached, not ${m[2]} (publish one first, as Lambda@Edge requires)`,
    });
  } else {
    v = await store.functions.version(m[1]!, Number(m[2]));
    if (!v) problems.push({ path: '$.function', message: await missingVersion(store, m[1]!, Number(m[2])) });
  }
  if (t.includeBody && !CONTRACT[t.eventType].includeBodyAllowed)
    problems.push({ path: '$.includeBody', message: INCLUDE_BODY_MESSAGE });
  if (v && isCff(v.settings)) {
    if (!t.eventType.startsWith('viewer-'))
      problems.push({
        path: '$.eventType',
        message: `CloudFront Functions can only be associated with viewer-request or viewer-response events (got ${t.eventType})`,
      });
    if (t.includeBody)
      problems.push({ path: '$.includeBody', message: 'CloudFront Functions cannot read the request body (spec 8.3)' });
  }
  const tooBig = v && (await sizeProblem(store, v, t.eventType));
  if (tooBig) problems.push({ path: '$.function', message: tooBig });
  if (problems.length > 0 || !v) throw validationError(problems);
  return v;
}

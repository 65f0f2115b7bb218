/**
 * @module control/domain/distributions
 * Distribution configs as the API stores them (the edge schema without function associations:
 * those are triggers), the checks beyond `validateDistribution` that need the other
 * distributions and triggers, and the status view: `InProgress` until every registered PoP has
 * applied a snapshot at least as new as the one carrying the distribution's last change.
 */
import type { ConfigProblem, DistributionConfig } from '../../shared/config/types.js';
import { DEFAULTS } from '../../shared/config/defaults.js';
import { validateDistribution } from '../../shared/config/validate.js';
import { VergeError } from '../../shared/errors.js';
import { validationError } from './validation.js';
import { DEFAULT_BEHAVIOR } from '../compile/snapshot.js';
import type { DistributionAckRecord, DistributionRecord, PopRecord, Store } from '../store/types.js';
import { healthOf, removeHint } from './pops.js';

function hostsOf(c: DistributionConfig): string[] {
  return [
    (c.domainName ?? `${c.id}${DEFAULTS.domainSuffix}`).toLowerCase(),
    ...(c.aliases ?? []).map((a) => a.toLowerCase()),
  ];
}

/** Validate a config from the API; `id` is the path's id for PUT. */
export async function checkConfig(store: Store, input: unknown, id?: string): Promise<DistributionConfig> {
  const problems: ConfigProblem[] = [];
  if (input && typeof input === 'object' && !Array.isArray(input)) {
    const o = input as Record<string, unknown>;
    if (id !== undefined && o.id === undefined) o.id = id;
    if (id !== undefined && o.id !== id)
      problems.push({ path: '$.id', message: `must be ${JSON.stringify(id)}, the id in the URL` });
    const behaviors = [
      ['$.defaultCacheBehavior', o.defaultCacheBehavior],
      ...((Array.isArray(o.cacheBehaviors) ? o.cacheBehaviors : []) as unknown[]).map((b, i) => [
        `$.cacheBehaviors[${i}]`,
        b,
      ]),
    ] as Array<[string, unknown]>;
    if (o.keyGroups !== undefined)
      problems.push({
        path: '$.keyGroups',
        message:
          'key groups are created with POST /api/v1/key-groups (verge key-groups create); behaviors name them by id in trustedKeyGroups',
      });
    (Array.isArray(o.origins) ? (o.origins as unknown[]) : []).forEach((origin, i) => {
      const ac = (origin as { originAccessControl?: unknown } | null)?.originAccessControl;
      if (ac && typeof ac === 'object' && 'keys' in ac)
        problems.push({
          path: `$.origins[${i}].originAccessControl.keys`,
          message:
            "keys are never stored in a distribution: name a credential set in credentials and set its VERGE_OAC_<NAME>_ACCESS_KEY_ID and VERGE_OAC_<NAME>_SECRET_ACCESS_KEY in the control plane's environment",
        });
    });
    for (const [path, b] of behaviors) {
      if (b && typeof b === 'object' && 'functionAssociations' in b) {
        problems.push({
          path: `${path}.functionAssociations`,
          message: 'functions are attached with triggers (POST /api/v1/triggers), not in the config',
        });
      }
    }
  }
  const r = validateDistribution(input, { knownKeyGroups: (await store.keyGroups.list()).map((g) => g.id) });
  if (!r.ok) problems.push(...r.problems);
  if (problems.length > 0 || !r.ok) throw validationError(problems);
  const cd = r.config.continuousDeployment?.stagingDistributionId;
  if (cd !== undefined) {
    const s = await store.distributions.get(cd);
    if (!s || !s.config.staging)
      problems.push({
        path: '$.continuousDeployment.stagingDistributionId',
        message: `${cd} is not a staging distribution (create one with verge staging create ${r.config.id})`,
      });
  }
  if (problems.length > 0) throw validationError(problems);
  const mine = new Set(hostsOf(r.config));
  for (const other of await store.distributions.list()) {
    if (other.id === r.config.id) continue;
    const clash = hostsOf(other.config).find((h) => mine.has(h));
    if (clash)
      problems.push({ path: '$.aliases', message: `host name ${clash} already belongs to distribution ${other.id}` });
  }
  if (problems.length > 0) throw validationError(problems);
  return r.config;
}

/** Triggers must keep a behavior to hang on: refuse a config that drops one (nothing disappears implicitly). */
export async function checkTriggersFit(store: Store, c: DistributionConfig): Promise<void> {
  const patterns = new Set([DEFAULT_BEHAVIOR, ...(c.cacheBehaviors ?? []).map((b) => b.pathPattern)]);
  const orphans = (await store.triggers.list({ distributionId: c.id })).filter((t) => !patterns.has(t.behavior));
  if (orphans.length === 0) return;
  throw validationError(
    orphans.map((t) => ({
      path: '$.cacheBehaviors',
      message: `behavior ${t.behavior} has trigger ${t.id} (${t.eventType} → ${t.functionName}:${t.functionVersion}); remove the trigger first`,
    })),
  );
}

export async function getDistribution(store: Store, id: string): Promise<DistributionRecord> {
  const d = await store.distributions.get(id);
  if (!d) throw new VergeError('NOT_FOUND', `distribution ${id} does not exist (GET /api/v1/distributions lists them)`);
  return d;
}

/** One PoP's state for one distribution. */
export interface PopDeployState {
  /** Deployed: serves the latest change; Refused: refused it and serves `generation`; InProgress: not there yet. */
  status: 'Deployed' | 'InProgress' | 'Refused';
  /** The generation it serves (0: none; null: an edge that reports no generations). */
  generation: number | null;
  error: string | null;
  /** When the PoP reached this state (its acknowledgement), or null before it acknowledged anything. */
  at: string | null;
}

/**
 * Per PoP, against the distribution's latest change (`changedIn`): its per-distribution
 * acknowledgement when it sent one, else the snapshot it applied (edges before generations).
 */
export function popStates(
  changedIn: number,
  pops: readonly PopRecord[],
  acks: readonly DistributionAckRecord[],
): Record<string, PopDeployState> {
  const byPop = new Map(acks.map((a) => [a.pop, a]));
  const out: Record<string, PopDeployState> = {};
  for (const p of pops) {
    const a = byPop.get(p.id);
    if (!a) {
      const done = p.appliedVersion >= changedIn;
      out[p.id] = { status: done ? 'Deployed' : 'InProgress', generation: null, error: null, at: null };
      continue;
    }
    const status = a.generation >= changedIn ? 'Deployed' : !a.ok && a.wanted >= changedIn ? 'Refused' : 'InProgress';
    out[p.id] = {
      status,
      generation: a.generation,
      error: status === 'Refused' ? a.error : null,
      at: new Date(a.at).toISOString(),
    };
  }
  return out;
}

export function pendingPops(states: Record<string, PopDeployState>): string[] {
  return Object.entries(states)
    .filter(([, s]) => s.status !== 'Deployed')
    .map(([id]) => id);
}

/**
 * The status in words. Deployed keeps CloudFront's meaning (every registered PoP has the change),
 * so a PoP that stopped answering holds a distribution InProgress: say which, since when, and how
 * to remove it if it is gone for good. A PoP that refused the change says why.
 */
export function statusText(
  changedIn: number,
  pops: readonly PopRecord[],
  now: number,
  states: Record<string, PopDeployState> = popStates(changedIn, pops, []),
): string {
  const waiting = pops.filter((p) => states[p.id]?.status !== 'Deployed');
  if (waiting.length === 0)
    return pops.length === 0
      ? 'Deployed (no PoPs registered)'
      : `Deployed: all ${pops.length} PoP(s) have snapshot ${changedIn}`;
  const refused = waiting.filter((p) => states[p.id]?.status === 'Refused');
  const parts = [`InProgress: waiting for ${waiting.map((p) => p.id).join(', ')} to apply snapshot ${changedIn}`];
  if (refused.length > 0) {
    const first = states[refused[0]!.id]!;
    parts.push(
      `${refused.map((p) => p.id).join(', ')} refused it and keep${refused.length === 1 ? 's' : ''} serving generation ${first.generation}: ${first.error ?? 'no reason given'}; fix the cause and change the distribution again, or roll it back (verge rollback --distribution ID --to N)`,
    );
  }
  const silent = waiting.filter((p) => healthOf(p.lastSeen, now) !== 'healthy');
  if (silent.length > 0) {
    const heard = silent.map(
      (p) => `${p.id} is ${healthOf(p.lastSeen, now)} (last seen ${new Date(p.lastSeen).toISOString()})`,
    );
    parts.push(
      `${heard.join(', ')}. If a PoP is gone for good, remove it: ${silent.map((p) => removeHint(p.id)).join(', ')}`,
    );
  }
  return parts.join('; ');
}

export function distributionView(
  d: DistributionRecord,
  pops: readonly PopRecord[],
  now: number,
  acks: readonly DistributionAckRecord[] = [],
) {
  const states = popStates(
    d.changedIn,
    pops,
    acks.filter((a) => a.distributionId === d.id),
  );
  const pending = pendingPops(states);
  return {
    id: d.id,
    config: d.config,
    status: pending.length === 0 ? ('Deployed' as const) : ('InProgress' as const),
    pending,
    statusText: statusText(d.changedIn, pops, now, states),
    snapshot: d.changedIn,
    generation: d.changedIn,
    pops: states,
    lastModified: new Date(d.updatedAt).toISOString(),
    etag: `"r${d.revision}"`,
  };
}

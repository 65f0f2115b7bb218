/**
 * @module edge/sync/activate
 * Per-distribution activation: from what a PoP serves now and the generations it is asked to
 * serve, make as much of it live as loads, one distribution at a time when need be.
 *
 *   1. unchanged distributions keep their loaded generation; removed ones go;
 *   2. try everything at once (one compile, one load, one swap: the common case);
 *   3. when that fails, serve the base (unchanged + the previous generation of each changed one)
 *      and add each changed distribution on its own; one that does not compile or load keeps its
 *      previous generation (or, at boot, falls back to an older one on disk) and is refused alone.
 *
 * Each swap goes through `SyncTarget.applyPlan`, which loads every function before it swaps, so
 * a viewer never meets a half-loaded plan.
 */
import { toVergeError } from '../../shared/errors.js';
import type { DistributionAck } from '../../shared/replication/protocol.js';
import { joinGenerations, sameGeneration, type DistGeneration } from './generations.js';
import type { SyncTarget } from './managed-sync.js';
import { planFromSnapshot, type LocalPaths } from './snapshot-plan.js';

export interface Wanted {
  id: string;
  /** What to serve, preferred first (a snapshot: the one it sent; a boot: newest good generation first). */
  choices: DistGeneration[];
  /** Why choices[0] cannot even be tried (its blobs failed verification, refused before). */
  blocked?: string;
}

export interface Activation {
  active: Map<string, DistGeneration>;
  results: Record<string, DistributionAck>;
  /** How many swaps it took (1 when everything loaded at once). */
  swaps: number;
}

export async function activate(
  target: SyncTarget,
  paths: LocalPaths,
  version: number,
  current: ReadonlyMap<string, DistGeneration>,
  wanted: readonly Wanted[],
): Promise<Activation> {
  let swaps = 0;
  const tryServe = async (gens: DistGeneration[]): Promise<void> => {
    await target.applyPlan(planFromSnapshot(joinGenerations(version, gens), paths));
    swaps++;
  };
  const base = new Map<string, DistGeneration>();
  const changed: Wanted[] = [];
  const errors = new Map<string, string>();
  for (const w of wanted) {
    const first = w.choices[0];
    const cur = current.get(w.id);
    if (first && !w.blocked && sameGeneration(cur, first)) base.set(w.id, first);
    else {
      if (cur) base.set(w.id, cur);
      if (w.blocked) errors.set(w.id, w.blocked);
      changed.push(w);
    }
  }
  const order = wanted.map((w) => w.id);
  const inOrder = (m: Map<string, DistGeneration>) => order.filter((id) => m.has(id)).map((id) => m.get(id)!);

  const all = new Map(base);
  for (const w of changed) if (!w.blocked && w.choices[0]) all.set(w.id, w.choices[0]);
  let served: Map<string, DistGeneration> | undefined;
  if (changed.every((w) => !w.blocked)) {
    try {
      await tryServe(inOrder(all));
      served = all;
    } catch (e) {
      if (changed.length === 1) errors.set(changed[0]!.id, describe(e));
    }
  }
  if (!served) {
    served = new Map(base);
    try {
      await tryServe(inOrder(served));
    } catch (e) {
      // Even the previous generations do not load together (a runtime change since): keep what runs now.
      const msg = describe(e);
      for (const w of wanted) if (!errors.has(w.id)) errors.set(w.id, msg);
      return { active: new Map(current), results: resultsFor(wanted, current, errors), swaps };
    }
    for (const w of changed) {
      const options = w.blocked ? w.choices.slice(1) : w.choices;
      for (const choice of options) {
        if (sameGeneration(served.get(w.id), choice)) break;
        const next = new Map(served).set(w.id, choice);
        try {
          await tryServe(inOrder(next));
          served = next;
          break;
        } catch (e) {
          if (!errors.has(w.id)) errors.set(w.id, describe(e));
        }
      }
    }
  }
  return { active: served, results: resultsFor(wanted, served, errors), swaps };
}

function resultsFor(
  wanted: readonly Wanted[],
  served: ReadonlyMap<string, DistGeneration>,
  errors: ReadonlyMap<string, string>,
): Record<string, DistributionAck> {
  const out: Record<string, DistributionAck> = {};
  for (const w of wanted) {
    const want = w.choices[0]?.generation ?? 0;
    const have = served.get(w.id);
    const ok = have !== undefined && w.choices[0] !== undefined && sameGeneration(have, w.choices[0]);
    const error = ok ? undefined : (errors.get(w.id) ?? 'not loaded');
    out[w.id] = { generation: have?.generation ?? 0, wanted: want, ok, ...(error ? { error } : {}) };
  }
  return out;
}

function describe(e: unknown): string {
  const err = toVergeError(e);
  return `${err.code}: ${err.message}`;
}

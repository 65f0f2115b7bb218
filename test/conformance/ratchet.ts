/**
 * @module test/conformance/ratchet
 * The conformance ratchet, test/conformance/ratchet.json: the ids of the HTTP caching suite's
 * tests the edge passes (`passing`); the suite's informational `check` tests with the answer the
 * edge gives (`checks`, "yes" or "no": they cannot pass, but a changed answer is a changed
 * behaviour and fails the run too); and the ids taken out on purpose, each with the reason
 * (`retired`: a test the suite no longer has, or one that fails by a decision written there).
 * cache-tests.test.ts fails when a listed id does not pass or a check's answer changes; so a
 * regression cannot hide behind a new pass elsewhere. The list only grows: an id leaves
 * `passing` or `checks` only into `retired`, or when the suite itself no longer has that test.
 * scripts/check-ratchets.mjs holds that over the file's history (`npm run check`).
 *
 * Add the new passes after a full run: `CACHE_TESTS_UPDATE_RATCHET=1 npm run conformance`
 * (adds, never removes; refused under CI).
 */
import { readFileSync } from 'node:fs';
import { writeJsonFile } from './json-file.js';

export interface Ratchet {
  /** Ids that must pass, sorted. */
  passing: string[];
  /** Id → why it no longer has to pass (a suite change, a deliberate divergence). */
  retired: Record<string, string>;
  /** A `check` test's id → the edge's answer, which must not change. */
  checks: Record<string, 'yes' | 'no'>;
}

/** Parses a ratchet file's text; every problem names `where` and the field. */
export function parseRatchet(text: string, where: string): Ratchet {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${where}: not JSON (${(e as Error).message})`);
  }
  const o = raw as Partial<Record<keyof Ratchet, unknown>>;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${where}: not an object`);
  const extra = Object.keys(o).filter((k) => k !== 'passing' && k !== 'retired' && k !== 'checks');
  if (extra.length > 0)
    throw new Error(`${where}: unknown field(s) ${extra.join(', ')} (expected passing, checks, retired)`);
  const checks = o.checks ?? {};
  if (typeof checks !== 'object' || checks === null || Array.isArray(checks))
    throw new Error(`${where}: checks must be an object of id → "yes" | "no"`);
  for (const [id, answer] of Object.entries(checks))
    if (answer !== 'yes' && answer !== 'no') throw new Error(`${where}: checks.${id} must be "yes" or "no"`);
  if (!Array.isArray(o.passing) || !o.passing.every((id) => typeof id === 'string' && id !== ''))
    throw new Error(`${where}: passing must be an array of test ids`);
  const retired = o.retired ?? {};
  if (typeof retired !== 'object' || retired === null || Array.isArray(retired))
    throw new Error(`${where}: retired must be an object of id → reason`);
  for (const [id, why] of Object.entries(retired))
    if (typeof why !== 'string' || why.trim() === '') throw new Error(`${where}: retired.${id} needs a reason`);
  const passing = o.passing as string[];
  const dup = passing.find((id, i) => passing.indexOf(id) !== i);
  if (dup) throw new Error(`${where}: passing lists ${dup} twice`);
  const both = passing.find((id) => id in retired);
  if (both) throw new Error(`${where}: ${both} is both passing and retired`);
  const twice = Object.keys(checks).find((id) => id in retired || passing.includes(id));
  if (twice) throw new Error(`${where}: ${twice} is in checks and in ${id2list(twice, passing)}`);
  return {
    passing,
    retired: retired as Record<string, string>,
    checks: checks as Record<string, 'yes' | 'no'>,
  };
}

const id2list = (id: string, passing: string[]) => (passing.includes(id) ? 'passing' : 'retired');

export function readRatchet(path: string): Ratchet {
  return parseRatchet(readFileSync(path, 'utf8'), path);
}

export function writeRatchet(path: string, r: Ratchet): void {
  const checks = Object.fromEntries(Object.entries(r.checks).sort(([a], [b]) => (a < b ? -1 : 1)));
  writeJsonFile(path, { passing: [...r.passing].sort(), checks, retired: r.retired });
}

export interface Judgement {
  /** Listed ids that did not pass, and checks whose answer changed, with what they got instead. */
  regressions: Array<{ id: string; got: string }>;
  /** Listed ids the suite does not have (a stale ratchet). */
  unknown: string[];
  /** Ids that passed and are not listed (candidates to add). */
  newPasses: string[];
}

/** A run's verdicts (id → category) against the ratchet and the suite's ids. */
export function judge(
  r: Ratchet,
  verdicts: Readonly<Record<string, string>>,
  suiteIds: ReadonlySet<string>,
): Judgement {
  const listed = new Set(r.passing);
  const checkIds = Object.keys(r.checks);
  return {
    regressions: [
      ...r.passing
        .filter((id) => suiteIds.has(id) && verdicts[id] !== 'pass')
        .map((id) => ({ id, got: verdicts[id] ?? 'no result' })),
      ...checkIds
        .filter((id) => suiteIds.has(id) && verdicts[id] !== r.checks[id])
        .map((id) => ({ id, got: `${verdicts[id] ?? 'no result'} (the ratchet's answer: ${r.checks[id]})` })),
    ],
    unknown: [...r.passing, ...checkIds].filter((id) => !suiteIds.has(id)),
    newPasses: Object.keys(verdicts)
      .filter((id) => verdicts[id] === 'pass' && !listed.has(id))
      .sort(),
  };
}

/**
 * Ids `older` required (passing, or a check's answer) that `newer` dropped without retiring them,
 * among those the suite still has (what scripts/check-ratchets.mjs refuses). A check whose
 * answer changed counts as dropped; a retired id moving into `checks` or `passing` is a raise.
 */
export function dropped(older: Ratchet, newer: Ratchet, suiteIds: ReadonlySet<string>): string[] {
  const kept = new Set(newer.passing);
  const lost = (id: string) => !(id in newer.retired) && suiteIds.has(id);
  return [
    ...older.passing.filter((id) => !kept.has(id) && lost(id)),
    ...Object.entries(older.checks ?? {})
      .filter(([id, answer]) => newer.checks?.[id] !== answer && lost(id))
      .map(([id]) => id),
  ];
}

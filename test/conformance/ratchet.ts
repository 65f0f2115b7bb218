/**
 * @module test/conformance/ratchet
 * The conformance ratchet, test/conformance/ratchet.json: the ids of the HTTP caching suite's
 * tests the edge passes (`passing`), and the ids taken out of that list on purpose, each with the
 * reason (`retired`). cache-tests.test.ts fails when a listed id does not pass; so a regression
 * cannot hide behind a new pass elsewhere. The list only grows: an id leaves `passing` only into
 * `retired`, or when the suite itself no longer has that test. scripts/check-ratchets.mjs holds
 * that over the file's history (`npm run check`).
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
  const extra = Object.keys(o).filter((k) => k !== 'passing' && k !== 'retired');
  if (extra.length > 0) throw new Error(`${where}: unknown field(s) ${extra.join(', ')} (expected passing, retired)`);
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
  return { passing, retired: retired as Record<string, string> };
}

export function readRatchet(path: string): Ratchet {
  return parseRatchet(readFileSync(path, 'utf8'), path);
}

export function writeRatchet(path: string, r: Ratchet): void {
  writeJsonFile(path, { passing: [...r.passing].sort(), retired: r.retired });
}

export interface Judgement {
  /** Listed ids that did not pass, with what they got instead. */
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
  return {
    regressions: r.passing
      .filter((id) => suiteIds.has(id) && verdicts[id] !== 'pass')
      .map((id) => ({ id, got: verdicts[id] ?? 'no result' })),
    unknown: r.passing.filter((id) => !suiteIds.has(id)),
    newPasses: Object.keys(verdicts)
      .filter((id) => verdicts[id] === 'pass' && !listed.has(id))
      .sort(),
  };
}

/**
 * Ids `older` required that `newer` dropped without retiring them, among those the suite still
 * has (what scripts/check-ratchets.mjs refuses).
 */
export function dropped(older: Ratchet, newer: Ratchet, suiteIds: ReadonlySet<string>): string[] {
  const kept = new Set(newer.passing);
  return older.passing.filter((id) => !kept.has(id) && !(id in newer.retired) && suiteIds.has(id));
}

#!/usr/bin/env node
// Refuses a lowered ratchet (`npm run check:ratchets`, part of `npm run check` and `.ci/run`).
// Two files only ever move up:
// - test/conformance/ratchet.json, the ids of the conformance tests the edge must pass
//   (test/conformance/ratchet.ts): an id may leave `passing` (or a check's answer in `checks`
//   change) only into `retired`, with a reason, or when the suite itself no longer has that test;
// - test/test-floor.json, the number of tests a full CI run must run (scripts/test.mjs).
//
// Against what: every version of each file along HEAD's first-parent history, each checked
// against the one before it, and the working tree against HEAD. Not only the merge base with
// main: on main (a clean clone in CI, where HEAD is main and the merge base is HEAD itself) that
// would compare a commit with itself, and a fast-forward of several commits would hide a lowering
// in any but the last. Walking the history covers a helper's branch before it lands (its commits
// sit on top of main's), main after it lands, and a rebase that resolved a conflict in the file
// by dropping the other side's ids. The walk stops at the old count-only ratchet format
// (`minPassed`), comparing only the count there (passing plus retired ids). A shallow clone checks the history it has and
// says so; outside a git checkout only the working tree's format is checked.
//
// Usage: node --import tsx scripts/check-ratchets.mjs [--repo DIR]
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dropped, parseRatchet } from '../test/conformance/ratchet.ts';
import { suiteIds } from '../test/conformance/cache-tests-suite.ts';

const args = process.argv.slice(2);
const repo = resolve(args[0] === '--repo' && args[1] ? args[1] : new URL('..', import.meta.url).pathname);
const RATCHET = 'test/conformance/ratchet.json';
const FLOOR = 'test/test-floor.json';

function git(...a) {
  return execFileSync('git', a, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

let inGit = false;
try {
  inGit = git('rev-parse', '--is-inside-work-tree').trim() === 'true';
} catch {
  // not a checkout (an unpacked tarball): only the working tree is checked
}
const notes = [];
if (!inGit) notes.push('not a git checkout: history not checked');
else if (git('rev-parse', '--is-shallow-repository').trim() === 'true')
  notes.push('shallow clone: history checked as far as it goes');

/** The file's versions, newest first: the working tree, then each commit along the first-parent history. */
function versions(path) {
  const out = [];
  if (existsSync(join(repo, path))) out.push({ at: 'the working tree', text: readFileSync(join(repo, path), 'utf8') });
  if (!inGit) return out;
  let commits = [];
  try {
    commits = git('log', '--first-parent', '--format=%H', 'HEAD', '--', path).split('\n').filter(Boolean);
  } catch {
    return out; // no commits yet
  }
  for (const c of commits) {
    let text;
    try {
      text = git('show', `${c}:${path}`);
    } catch {
      break; // the commit deleted the file: nothing older counts
    }
    out.push({ at: `commit ${c.slice(0, 12)}`, text });
  }
  return out;
}

const problems = [];

function checkRatchet(ids) {
  const vs = versions(RATCHET);
  if (vs.length === 0) return void problems.push(`${RATCHET} is missing`);
  let newer;
  for (const v of vs) {
    const raw = JSON.parse(v.text);
    if (raw && typeof raw === 'object' && 'minPassed' in raw) {
      // The count-only format that came before ids: compare counts (retired ids count: they were
      // required, and their reason is written down), and stop.
      const count = newer ? newer.r.passing.length + Object.keys(newer.r.retired).length : 0;
      if (newer && count < raw.minPassed)
        problems.push(
          `${RATCHET} at ${newer.at} lists ${count} ids (passing and retired), fewer than the ${raw.minPassed} required at ${v.at}`,
        );
      break;
    }
    const r = parseRatchet(v.text, `${RATCHET} at ${v.at}`);
    if (newer) {
      const gone = dropped(r, newer.r, ids);
      if (gone.length > 0)
        problems.push(
          `${RATCHET} at ${newer.at} drops ${gone.length} id(s) that ${v.at} required, without retiring them ` +
            `("retired": {"<id>": "<why>"}): ${gone.join(', ')}`,
        );
    }
    newer = { at: v.at, r };
  }
}

function checkFloor() {
  const vs = versions(FLOOR);
  if (vs.length === 0) return void problems.push(`${FLOOR} is missing`);
  let newer;
  for (const v of vs) {
    const raw = JSON.parse(v.text);
    if (!raw || !Number.isInteger(raw.minTests) || raw.minTests < 0) {
      problems.push(`${FLOOR} at ${v.at}: minTests must be a whole number`);
      break;
    }
    if (newer && newer.n < raw.minTests)
      problems.push(`${FLOOR} at ${newer.at} lowers minTests to ${newer.n} from ${raw.minTests} at ${v.at}`);
    newer = { at: v.at, n: raw.minTests };
  }
}

try {
  checkRatchet(await suiteIds());
  checkFloor();
} catch (e) {
  problems.push(e instanceof Error ? e.message : String(e));
}
for (const n of notes) console.log(`ratchets: ${n}`);
if (problems.length > 0) {
  for (const p of problems) console.error(`ratchets: ${p}`);
  process.exit(1);
}
console.log('ratchets: ok (raise-only)');

#!/usr/bin/env node
// Runs the test suite with node's test runner: every *.test.ts under src/, test/ and bench/
// (Node 20 does not expand globs itself). Arguments filter by substring: `npm test -- cache origin`.
//
// No file may hang the run: node's runner treats each file as one test, so --test-timeout bounds
// every file (its tests, its hooks, and any process it leaves holding its output pipe), and
// --test-force-exit ends a file's process once its tests are done even if a handle leaked.
// VERGE_TEST_TIMEOUT_MS overrides the per-file budget (default 5 minutes).
//
// The run proves what it claims: beside the spec output, scripts/count-reporter.mjs records each
// finished test, and this prints the number of tests that ran, the skipped tests with their
// reasons, and the files that define no test. Tests that need a system package or a permission
// skip outside CI and fail under CI (test/harness/needs.ts). Under CI (`CI=true`) the run also
// fails when any test was skipped, when a file defines no test, or, on a full run, when fewer
// tests ran than the floor in test/test-floor.json (raised as tests are added, never lowered:
// scripts/check-ratchets.mjs). VERGE_TEST_MIN asks for at least that many tests in this run
// (filtered or not, CI or not).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const FLOOR_FILE = 'test/test-floor.json';
const ci = /^(true|1|yes)$/i.test(process.env.CI ?? '');
const files = [];
function walk(dir) {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.ts')) files.push(relative(root, p));
  }
}
for (const d of ['src', 'test', 'bench']) walk(join(root, d));
const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const selected = files.sort().filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (selected.length === 0) {
  console.error('no test files matched ' + filters.join(' '));
  process.exit(1);
}
const concurrency = process.env.VERGE_TEST_CONCURRENCY ?? '2';
const timeoutMs = process.env.VERGE_TEST_TIMEOUT_MS ?? '300000';
const tmp = mkdtempSync(join(tmpdir(), 'verge-test-run-'));
const countFile = join(tmp, 'count.json');
// Tests run src/ through tsx, and so does every `bin/verge.js` they start (VERGE_FROM_SOURCE): no
// build needed, never a stale dist/. test/scenarios/built-bin.test.ts runs the built one.
const env = { ...process.env, VERGE_TEST: '1', VERGE_TEST_COUNT_FILE: countFile, VERGE_FROM_SOURCE: '1' };
delete env.NODE_TEST_CONTEXT; // a run started from inside a test is a run of its own
const r = spawnSync(
  process.execPath,
  [
    '--no-node-snapshot',
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    `--test-timeout=${timeoutMs}`,
    '--test-force-exit',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${join(root, 'scripts', 'count-reporter.mjs')}`,
    '--test-reporter-destination=/dev/null',
    ...selected,
  ],
  { cwd: root, stdio: 'inherit', env },
);

let lines;
try {
  lines = readFileSync(countFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
} catch (e) {
  console.error(
    `\ntests: the counting reporter left no result (${e.message}); the runner exited ${r.status ?? r.signal}`,
  );
  process.exit(1);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
// A test's `file` is where it was defined (a shared suite's module, for instance), so tests are not
// counted per file; the runner reports a file as a test of its own only when the file defined no
// test (it passes) or failed outside its tests (it fails).
const count = { ran: 0, passed: 0, failed: 0, skipped: [], empty: [] };
for (const t of lines) {
  if (t.wrapper) {
    if (t.ok) count.empty.push(relative(root, t.file));
    else count.failed++;
  } else if (t.skip !== null) count.skipped.push(t);
  else if (!t.suite && !t.todo) {
    count.ran++;
    count[t.ok ? 'passed' : 'failed']++;
  }
}

const failures = [];
const rel = (f) => (f.startsWith(root) ? relative(root, f) : f);
const fileFloor = Number(JSON.parse(readFileSync(join(root, FLOOR_FILE), 'utf8')).minTests);
const asked = Number(process.env.VERGE_TEST_MIN ?? 0);
const full = filters.length === 0;
const floor = Math.max(ci && full ? fileFloor : 0, asked);

console.log(
  `\ntests: ${count.ran} ran (${count.passed} passed, ${count.failed} failed), ${count.skipped.length} skipped, ` +
    `in ${selected.length} files` +
    (full ? `; floor ${fileFloor} (${FLOOR_FILE})` : ''),
);
if (count.skipped.length > 0) {
  console.log(`skipped${ci ? '' : ' (CI=true fails on these)'}:`);
  for (const s of count.skipped) console.log(`  ${rel(s.file)}: ${s.name}${s.skip ? ` # ${s.skip}` : ''}`);
  if (ci) failures.push(`${count.skipped.length} test(s) or suite(s) skipped; under CI nothing may skip`);
}
if (count.empty.length > 0) {
  console.log(`files that define no test: ${count.empty.join(', ')}`);
  if (ci) failures.push(`${count.empty.length} file(s) define no test`);
}
if (count.ran < floor)
  failures.push(
    `${count.ran} tests ran, below the floor of ${floor}` +
      (floor === asked ? ' (VERGE_TEST_MIN)' : ` (${FLOOR_FILE}): a suite vanished, or a file stopped early`),
  );
else if (full && ci && count.ran > fileFloor)
  console.log(`(${count.ran - fileFloor} more than the floor: raise minTests in ${FLOOR_FILE} to ${count.ran})`);
for (const f of failures) console.error(`tests: FAIL: ${f}`);
process.exit(r.status !== 0 ? (r.status ?? 1) : failures.length > 0 ? 1 : 0);

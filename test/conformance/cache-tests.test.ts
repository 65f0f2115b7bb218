/**
 * @module test/conformance/cache-tests.test
 * The HTTP caching conformance suite (the vendored http-tests/cache-tests, test/vendor) run
 * against a Verge edge: the suite's origin (loopback) ← Verge (in-process, see
 * verge-under-test.ts) ← the suite's client. Prints `cache-tests: N passed of M` with the
 * breakdown, writes test/conformance/last-results.json, and fails if any test listed in the
 * ratchet (test/conformance/ratchet.json, see ratchet.ts) does not pass, or if the ratchet lists
 * a test the suite does not have. New passes are printed; add them with
 * `CACHE_TESTS_UPDATE_RATCHET=1 npm run conformance` (adds only; refused under CI).
 *
 * One test by id, with the suite's request/response dump; it fails unless that test passes
 * (refused under CI, where the whole suite must run):
 * `CACHE_TESTS_ID=freshness-max-age node --no-node-snapshot --import tsx --test test/conformance/cache-tests.test.ts`
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { underCI } from '../harness/needs.js';
import {
  formatSummary,
  runSuite,
  startSuiteOrigin,
  suiteIds,
  summarise,
  type SuiteOrigin,
} from './cache-tests-suite.js';
import { writeJsonFile } from './json-file.js';
import { judge, readRatchet, writeRatchet } from './ratchet.js';
import { startConformanceEdge, type ConformanceEdge } from './verge-under-test.js';

const here = dirname(fileURLToPath(import.meta.url));
const RATCHET = join(here, 'ratchet.json');
const onlyId = process.env.CACHE_TESTS_ID ?? '';
const update = process.env.CACHE_TESTS_UPDATE_RATCHET === '1';
if (underCI() && (onlyId || update))
  throw new Error(
    `${onlyId ? 'CACHE_TESTS_ID' : 'CACHE_TESTS_UPDATE_RATCHET'} is set: refused under CI, where the whole suite runs against the ratchet`,
  );

let origin: SuiteOrigin | undefined;
let edge: ConformanceEdge | undefined;

before(async () => {
  origin = await startSuiteOrigin();
  edge = await startConformanceEdge(origin.port);
});

after(async () => {
  await edge?.close();
  await origin?.close();
});

const title = onlyId ? `cache-tests: ${onlyId} passes` : 'the edge passes every test the conformance ratchet lists';

test(title, { timeout: 110_000 }, async () => {
  const ratchet = readRatchet(RATCHET);
  const ids = await suiteIds();
  const run = await runSuite(edge!.url, {
    // The full run takes ~15 s against nginx here; the deadline leaves room for a loaded CI box.
    deadlineMs: 85_000,
    ...(onlyId ? { testId: onlyId, onOutput: (t: string) => process.stderr.write(t) } : {}),
  });
  const summary = summarise(run);
  const partial = run.timedOut ? '\n  (deadline reached: partial results)' : '';
  console.log(formatSummary(summary) + partial);
  if (onlyId) {
    assert.equal(run.verdicts[onlyId] ?? 'no result', 'pass', `${onlyId}${partial}`);
    return;
  }
  const failing = Object.entries(run.verdicts)
    .filter(([, v]) => v === 'fail')
    .map(([id]) => id);
  writeJsonFile(join(here, 'last-results.json'), {
    date: new Date().toISOString(),
    summary,
    failingRequired: failing,
    verdicts: run.verdicts,
    results: run.results,
  });
  const j = judge(ratchet, run.verdicts, ids);
  if (j.newPasses.length > 0) {
    if (update && j.regressions.length === 0 && !run.timedOut) {
      writeRatchet(RATCHET, { ...ratchet, passing: [...ratchet.passing, ...j.newPasses] });
      console.log(`cache-tests: added ${j.newPasses.length} ids to ${RATCHET}: ${j.newPasses.join(', ')}`);
    } else
      console.log(
        `cache-tests: ${j.newPasses.length} tests pass that the ratchet does not list (CACHE_TESTS_UPDATE_RATCHET=1 adds them): ${j.newPasses.join(', ')}`,
      );
  }
  assert.ok(summary.total > 300, `the suite ran only ${summary.total} tests${partial}`);
  assert.deepEqual(j.unknown, [], `${RATCHET} lists ids the suite does not have`);
  assert.deepEqual(
    j.regressions.map((r) => `${r.id}: ${r.got}`),
    [],
    `tests the ratchet requires did not pass (see test/conformance/last-results.json)${partial}`,
  );
});

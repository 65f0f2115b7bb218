/**
 * @module test/conformance/cache-tests.test
 * The HTTP caching conformance suite (npm `http-cache-tests`, shared/research/peers.md 3.1) run
 * against a Verge edge: the suite's origin (loopback) ← Verge (in-process, see
 * verge-under-test.ts) ← the suite's client. Prints `cache-tests: N passed of M` with the
 * breakdown, writes test/conformance/last-results.json, and fails if fewer tests pass than the
 * ratchet in test/conformance/ratchet.json. The ratchet only moves up: raise `minPassed` when
 * the edge passes more; never lower it to make a regression go green.
 *
 * One test by id, with the suite's request/response dump:
 * `CACHE_TESTS_ID=freshness-max-age node --no-node-snapshot --import tsx --test test/conformance/cache-tests.test.ts`
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatSummary, runSuite, startSuiteOrigin, summarise, type SuiteOrigin } from './cache-tests-suite.js';
import { writeJsonFile } from './json-file.js';
import { startConformanceEdge, type ConformanceEdge } from './verge-under-test.js';

const here = dirname(fileURLToPath(import.meta.url));
const ratchet = JSON.parse(readFileSync(join(here, 'ratchet.json'), 'utf8')) as { minPassed: number };
const onlyId = process.env.CACHE_TESTS_ID ?? '';

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

test('the edge passes at least the ratchet of the HTTP caching conformance suite', { timeout: 110_000 }, async () => {
  const run = await runSuite(edge!.url, {
    // The full run takes ~15 s against nginx here; the deadline leaves room for a loaded CI box.
    deadlineMs: 85_000,
    ...(onlyId ? { testId: onlyId, onOutput: (t: string) => process.stderr.write(t) } : {}),
  });
  const summary = summarise(run);
  console.log(formatSummary(summary) + (run.timedOut ? '\n  (deadline reached: partial results)' : ''));
  if (onlyId) {
    assert.ok(run.verdicts[onlyId], `no result for ${onlyId}`);
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
  assert.ok(summary.total > 300, `the suite ran only ${summary.total} tests`);
  assert.ok(
    summary.passed >= ratchet.minPassed,
    `cache-tests: ${summary.passed} passed, below the ratchet of ${ratchet.minPassed} (see test/conformance/last-results.json)`,
  );
});

/**
 * @module test/conformance/cache-tests-client
 * The client side of the HTTP caching conformance suite (test/vendor/cache-tests), run as a
 * child process. It does what the suite's `cli.mjs` does (every suite in tests/index.mjs against
 * `CACHE_TESTS_BASE`, with Node's fetch), with two changes that make it safe for CI:
 * every fetch has a timeout (`CACHE_TESTS_FETCH_TIMEOUT_MS`, default 10 s; a hung request fails
 * its test instead of hanging the run), and SIGTERM prints the results gathered so far.
 * It also grades each result with the suite's own `determineTestResult()` (which follows
 * `kind` and `depends_on`), so the parent needs no copy of that logic.
 *
 * Output (stdout, one JSON document): `{ "results": {id: true | [type, message]}, "verdicts": {id: symbol} }`.
 * `CACHE_TESTS_ID=<test id>` runs one test with the suite's request/response dump instead.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadSuites, suiteDir } from './cache-tests-suite.js';

const dir = suiteDir();
const load = async (rel: string): Promise<any> => import(pathToFileURL(join(dir, rel)).href);

const base = process.env.CACHE_TESTS_BASE;
if (!base || base.endsWith('/')) {
  // The runner builds `${base}/test/...`: a trailing slash breaks every URL (peers.md 3.1, gotcha 1).
  process.stderr.write('set CACHE_TESTS_BASE to http://host:port (no trailing slash)\n');
  process.exit(2);
}
const fetchTimeoutMs = Number(process.env.CACHE_TESTS_FETCH_TIMEOUT_MS ?? 10_000);
const onlyId = process.env.CACHE_TESTS_ID ?? '';

const [runner, groups, grading] = await Promise.all([
  load('test-engine/client/runner.mjs'),
  loadSuites(),
  load('test-engine/lib/results.mjs'),
]);
const suites: any[] = groups;

// The suite's client calls the global fetch; this process is ours, so every call gets a deadline.
const plainFetch = globalThis.fetch;
globalThis.fetch = ((url: string, init: RequestInit = {}) =>
  plainFetch(url, {
    ...init,
    signal: init.signal
      ? AbortSignal.any([init.signal, AbortSignal.timeout(fetchTimeoutMs)])
      : AbortSignal.timeout(fetchTimeoutMs),
  })) as typeof fetch;

let toRun = suites;
if (onlyId) {
  // The test and what it depends on (its verdict is dependency_fail unless those ran and passed),
  // dependencies first; only the asked one dumps its requests and responses.
  const byId = new Map<string, { suite: any; test: any }>();
  for (const suite of suites) for (const t of suite.tests) byId.set(t.id, { suite, test: t });
  const order: string[] = [];
  const visit = (id: string): void => {
    if (order.includes(id) || !byId.has(id)) return;
    for (const dep of (byId.get(id)!.test.depends_on as string[] | undefined) ?? []) visit(dep);
    order.push(id);
  };
  visit(onlyId);
  if (order.length === 0) {
    process.stderr.write(`no test with id ${onlyId}\n`);
    process.exit(2);
  }
  toRun = order.map((id) => {
    const { suite, test } = byId.get(id)!;
    return { ...suite, tests: [id === onlyId ? { ...test, dump: true } : test] };
  });
}

function report(): void {
  const results = runner.getResults() as Record<string, unknown>;
  const verdicts: Record<string, string> = {};
  for (const id of Object.keys(results)) verdicts[id] = grading.determineTestResult(suites, id, results)[2];
  process.stdout.write(JSON.stringify({ results, verdicts }) + '\n');
}

process.on('SIGTERM', () => {
  report();
  process.exit(3);
});

await runner.runTests(toRun, false, base);
report();
process.exit(0);

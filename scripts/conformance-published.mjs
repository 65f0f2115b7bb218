#!/usr/bin/env node
// Grades the published results of nginx, Varnish, Apache Traffic Server and Apache httpd that
// ship with the vendored HTTP caching suite (test/vendor/cache-tests/results), and Verge's last
// run (test/conformance/last-results.json, written by `npm run conformance`), against the same
// test definitions with the suite's own determineTestResult(): the table in docs/conformance.md.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const suite = join(root, 'test/vendor/cache-tests');
const load = async (rel) => (await import(pathToFileURL(join(suite, rel)).href)).default;
const suites = await load('tests/index.mjs');
const { determineTestResult, resultTypes } = await import(
  pathToFileURL(join(suite, 'test-engine/lib/results.mjs')).href
);
const published = await load('results/index.mjs');
const nameOf = Object.fromEntries(Object.entries(resultTypes).map(([k, v]) => [v[2], k]));
const ids = suites.flatMap((s) => s.tests.map((t) => t.id));
const json = (p) => JSON.parse(readFileSync(p, 'utf8'));

const rows = [['Verge', 'last run', json(join(root, 'test/conformance/last-results.json')).results]];
for (const file of ['nginx.json', 'varnish.json', 'trafficserver.json', 'apache.json']) {
  const meta = published.find((p) => p.file === file);
  rows.push([meta.name, meta.version, json(join(suite, 'results', file))]);
}
const order = [
  'pass',
  'fail',
  'optional_fail',
  'yes',
  'no',
  'dependency_fail',
  'setup_fail',
  'harness_fail',
  'retry',
  'untested',
];
console.log(['result', ...rows.map(([n, v]) => `${n} ${v}`)].join(' | '));
for (const kind of order) {
  const counts = rows.map(
    ([, , res]) => ids.filter((id) => nameOf[determineTestResult(suites, id, res)[2]] === kind).length,
  );
  console.log([kind, ...counts].join(' | '));
}
console.log(`tests | ${ids.length}`);

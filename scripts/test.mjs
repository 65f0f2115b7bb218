#!/usr/bin/env node
// Runs the test suite with node's test runner: every *.test.ts under src/ and test/ (Node 20
// does not expand globs itself). Arguments filter by substring: `npm test -- cache origin`.
// Tests that need a system package (chromium, nginx, wrk) skip themselves with a message.
//
// No file may hang the run: node's runner treats each file as one test, so --test-timeout bounds
// every file (its tests, its hooks, and any process it leaves holding its output pipe), and
// --test-force-exit ends a file's process once its tests are done even if a handle leaked.
// VERGE_TEST_TIMEOUT_MS overrides the per-file budget (default 5 minutes).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.ts')) files.push(relative(root, p));
  }
}
walk(join(root, 'src'));
walk(join(root, 'test'));
const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const selected = files.sort().filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (selected.length === 0) {
  console.error('no test files matched ' + filters.join(' '));
  process.exit(1);
}
const concurrency = process.env.VERGE_TEST_CONCURRENCY ?? '2';
const timeoutMs = process.env.VERGE_TEST_TIMEOUT_MS ?? '300000';
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
    ...selected,
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, VERGE_TEST: '1' } },
);
process.exit(r.status ?? 1);

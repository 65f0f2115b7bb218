/**
 * @module test/runner/runner.test
 * The test runner (scripts/test.mjs) proves what a run claims: it prints how many tests ran, and
 * under CI it fails a full run below the floor in test/test-floor.json, a run with a skipped test,
 * and a run with a file that defines no test. Each case runs the real runner on a scratch project
 * (its own src/ and test/test-floor.json, the repository's node_modules) so the floor can be
 * shown failing without running the whole suite.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'verge-runner-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

let n = 0;
/** A scratch project with these test files (path → source) and this floor. */
function project(files: Record<string, string>, minTests: number): string {
  const dir = join(scratch, `p${++n}`);
  mkdirSync(join(dir, 'scripts'), { recursive: true });
  mkdirSync(join(dir, 'test'), { recursive: true });
  for (const f of ['test.mjs', 'count-reporter.mjs']) copyFileSync(join(ROOT, 'scripts', f), join(dir, 'scripts', f));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'test', 'test-floor.json'), JSON.stringify({ minTests }));
  for (const [path, source] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), source);
  }
  return dir;
}

function run(dir: string, env: Record<string, string>, ...filters: string[]) {
  const e: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete e.NODE_TEST_CONTEXT;
  if (!('CI' in env)) delete e.CI;
  const r = spawnSync(process.execPath, [join(dir, 'scripts', 'test.mjs'), ...filters], {
    cwd: dir,
    env: e,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

const TWO = `import { test } from 'node:test';\ntest('one', () => {});\ntest('two', () => {});\n`;

test('a full CI run with fewer tests than the floor fails, naming the count, the floor and its file', () => {
  const dir = project({ 'src/a.test.ts': TWO }, 3);
  const r = run(dir, { CI: 'true' });
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /tests: 2 ran \(2 passed, 0 failed\), 0 skipped, in 1 files; floor 3/);
  assert.match(r.out, /FAIL: 2 tests ran, below the floor of 3 \(test\/test-floor\.json\)/);
});

test('at the floor it passes; outside CI, and on a filtered run, the floor does not apply', () => {
  const dir = project({ 'src/a.test.ts': TWO, 'test/b.test.ts': TWO }, 4);
  const atFloor = run(dir, { CI: 'true' });
  assert.equal(atFloor.status, 0, atFloor.out);
  assert.match(atFloor.out, /tests: 4 ran/);
  const filtered = run(dir, { CI: 'true' }, 'src/a');
  assert.equal(filtered.status, 0, filtered.out);
  assert.match(filtered.out, /tests: 2 ran/);
  const higher = project({ 'src/a.test.ts': TWO }, 10);
  const local = run(higher, {});
  assert.equal(local.status, 0, local.out);
  assert.match(local.out, /tests: 2 ran/);
});

test('VERGE_TEST_MIN asks for a minimum on any run', () => {
  const dir = project({ 'src/a.test.ts': TWO, 'src/b.test.ts': TWO }, 0);
  const r = run(dir, { VERGE_TEST_MIN: '3' }, 'src/a');
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /FAIL: 2 tests ran, below the floor of 3 \(VERGE_TEST_MIN\)/);
});

test('a skipped suite and a file without tests: listed outside CI, a failure under CI', () => {
  const skipped = `import { describe, test } from 'node:test';\ndescribe('needs a tool', { skip: 'frobnicate is not installed' }, () => { test('x', () => {}); });\ntest('runs', () => {});\n`;
  const dir = project({ 'src/a.test.ts': skipped, 'src/empty.test.ts': '// no tests\n' }, 0);
  const local = run(dir, {});
  assert.equal(local.status, 0, local.out);
  assert.match(local.out, /tests: 1 ran \(1 passed, 0 failed\), 1 skipped/);
  assert.match(local.out, /src\/a\.test\.ts: needs a tool # frobnicate is not installed/);
  assert.match(local.out, /files that define no test: src\/empty\.test\.ts/);
  const ci = run(dir, { CI: 'true' });
  assert.equal(ci.status, 1, ci.out);
  assert.match(ci.out, /FAIL: 1 test\(s\) or suite\(s\) skipped; under CI nothing may skip/);
  assert.match(ci.out, /FAIL: 1 file\(s\) define no test/);
});

test('a failing test fails the run whatever the count', () => {
  const dir = project(
    { 'src/a.test.ts': `import { test } from 'node:test';\ntest('bad', () => { throw new Error('no'); });\n` },
    0,
  );
  const r = run(dir, { CI: 'true' });
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /tests: 1 ran \(0 passed, 1 failed\)/);
});

/**
 * @module test/runner/check-ratchets.test
 * The ratchets only move up (scripts/check-ratchets.mjs, run by `npm run check`): on a scratch git
 * repository, a commit or an uncommitted edit that drops a conformance id without retiring it, or
 * lowers the test floor, is refused with the id or the numbers named; retiring with a reason, an
 * id the suite no longer has, and raising are accepted. Also the judgement cache-tests.test.ts
 * makes of a run against the ratchet (test/conformance/ratchet.ts): a listed id that fails, or has
 * no result, fails the run.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suiteIds } from '../conformance/cache-tests-suite.js';
import { dropped, judge, parseRatchet } from '../conformance/ratchet.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'verge-ratchets-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const ids = [...(await suiteIds())].slice(0, 3);
const [A, B, C] = ids as [string, string, string];

let n = 0;
function repo(): {
  dir: string;
  commit(files: Record<string, unknown>, message?: string): void;
  check(): { status: number | null; out: string };
} {
  const dir = join(scratch, `r${++n}`);
  mkdirSync(join(dir, 'test', 'conformance'), { recursive: true });
  const git = (...a: string[]) => execFileSync('git', a, { cwd: dir, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  const write = (files: Record<string, unknown>) => {
    for (const [p, v] of Object.entries(files))
      writeFileSync(join(dir, p), typeof v === 'string' ? v : JSON.stringify(v));
  };
  return {
    dir,
    commit(files, message = 'change') {
      write(files);
      git('add', '-A');
      git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', message);
    },
    check() {
      const r = spawnSync(
        process.execPath,
        ['--import', 'tsx', join(ROOT, 'scripts', 'check-ratchets.mjs'), '--repo', dir],
        {
          cwd: ROOT,
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      return { status: r.status, out: r.stdout + r.stderr };
    },
  };
}
const RATCHET = 'test/conformance/ratchet.json';
const FLOOR = 'test/test-floor.json';

test('a commit that drops a required id without retiring it is refused, naming the id', () => {
  const r = repo();
  r.commit({ [RATCHET]: { passing: [A, B], retired: {} }, [FLOOR]: { minTests: 10 } });
  assert.equal(r.check().status, 0);
  r.commit({ [RATCHET]: { passing: [A, C], retired: {} } });
  const c = r.check();
  assert.equal(c.status, 1, c.out);
  assert.match(
    c.out,
    new RegExp(`drops 1 id\\(s\\) that commit [0-9a-f]{12} required, without retiring them .*: ${B}`),
  );
  // Later commits do not wash it out: the history keeps the lowering.
  r.commit({ [FLOOR]: { minTests: 11 } });
  assert.equal(r.check().status, 1);
});

test('retiring with a reason, or an id the suite no longer has, may leave the list', () => {
  const r = repo();
  r.commit({ [RATCHET]: { passing: [A, B, 'not-in-the-suite'], retired: {} }, [FLOOR]: { minTests: 10 } });
  r.commit({ [RATCHET]: { passing: [A], retired: { [B]: 'the suite changed what it checks' } } });
  const c = r.check();
  assert.equal(c.status, 0, c.out);
  assert.match(c.out, /ratchets: ok/);
});

test('an uncommitted edit that drops an id, or lowers the floor, is refused', () => {
  const r = repo();
  r.commit({ [RATCHET]: { passing: [A, B], retired: {} }, [FLOOR]: { minTests: 10 } });
  writeFileSync(join(r.dir, RATCHET), JSON.stringify({ passing: [B], retired: {} }));
  writeFileSync(join(r.dir, FLOOR), JSON.stringify({ minTests: 9 }));
  const c = r.check();
  assert.equal(c.status, 1, c.out);
  assert.match(c.out, new RegExp(`at the working tree drops 1 id.*: ${A}`));
  assert.match(c.out, /test-floor\.json at the working tree lowers minTests to 9 from 10/);
});

test('from the count-only format, the first id list may not be shorter than the count', () => {
  const r = repo();
  r.commit({ [RATCHET]: { minPassed: 3 }, [FLOOR]: { minTests: 1 } });
  r.commit({ [RATCHET]: { passing: [A, B], retired: {} } });
  const c = r.check();
  assert.equal(c.status, 1, c.out);
  assert.match(c.out, /lists 2 ids \(passing and retired\), fewer than the 3 required/);
  const ok = repo();
  ok.commit({ [RATCHET]: { minPassed: 3 }, [FLOOR]: { minTests: 1 } });
  ok.commit({ [RATCHET]: { passing: [A, B], retired: { [C]: 'the suite changed its expectation' } } });
  assert.equal(ok.check().status, 0);
});

test('a run is judged by ids: a listed id that fails or has no result is a regression', () => {
  const suite = new Set([A, B, C]);
  const ratchet = parseRatchet(JSON.stringify({ passing: [A, B], retired: {} }), 'ratchet');
  // One more pass elsewhere does not hide B's failure (a count would have).
  const j = judge(ratchet, { [A]: 'pass', [B]: 'fail', [C]: 'pass' }, suite);
  assert.deepEqual(j.regressions, [{ id: B, got: 'fail' }]);
  assert.deepEqual(j.newPasses, [C]);
  assert.deepEqual(judge(ratchet, { [A]: 'pass' }, suite).regressions, [{ id: B, got: 'no result' }]);
  assert.deepEqual(judge(ratchet, { [A]: 'pass', [B]: 'pass' }, suite).regressions, []);
  assert.deepEqual(judge(ratchet, { [A]: 'pass', [B]: 'pass' }, new Set([A])).unknown, [B]);
  assert.deepEqual(dropped(ratchet, { passing: [A], retired: {}, checks: {} }, suite), [B]);
});

test("a check test's answer is held: a changed or missing answer is a regression, dropping it is refused", () => {
  const suite = new Set([A, B, C]);
  const ratchet = parseRatchet(JSON.stringify({ passing: [A], checks: { [B]: 'no' }, retired: {} }), 'ratchet');
  assert.deepEqual(judge(ratchet, { [A]: 'pass', [B]: 'no' }, suite).regressions, []);
  assert.deepEqual(judge(ratchet, { [A]: 'pass', [B]: 'yes' }, suite).regressions, [
    { id: B, got: "yes (the ratchet's answer: no)" },
  ]);
  assert.deepEqual(judge(ratchet, { [A]: 'pass' }, suite).regressions, [
    { id: B, got: "no result (the ratchet's answer: no)" },
  ]);
  assert.deepEqual(dropped(ratchet, { passing: [A], retired: {}, checks: {} }, suite), [B]);
  assert.deepEqual(dropped(ratchet, { passing: [A], retired: {}, checks: { [B]: 'yes' } }, suite), [B]);
  assert.deepEqual(dropped(ratchet, { passing: [A], retired: { [B]: 'why' }, checks: {} }, suite), []);
  assert.throws(
    () => parseRatchet(`{"passing": [], "checks": {"${A}": "maybe"}}`, 'r.json'),
    /checks\..+ must be "yes" or "no"/,
  );
  assert.throws(
    () => parseRatchet(`{"passing": ["${A}"], "checks": {"${A}": "yes"}}`, 'r.json'),
    /is in checks and in passing/,
  );
});

test('a malformed ratchet is refused with the field named', () => {
  assert.throws(() => parseRatchet('{"passing": "x"}', 'r.json'), /r\.json: passing must be an array of test ids/);
  assert.throws(
    () => parseRatchet(`{"passing": ["${A}"], "retired": {"${A}": "x"}}`, 'r.json'),
    /both passing and retired/,
  );
  assert.throws(() => parseRatchet(`{"passing": [], "retired": {"${A}": ""}}`, 'r.json'), /needs a reason/);
  assert.throws(() => parseRatchet('{"passing": [], "minPassed": 3}', 'r.json'), /unknown field\(s\) minPassed/);
});

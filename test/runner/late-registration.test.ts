/**
 * @module test/runner/late-registration.test
 * No test file registers a test after a top-level `await` that follows its first registration.
 * scripts/test.mjs runs files with --test-force-exit, which ends a file's process as soon as every
 * test it knows of has finished: a suite registered after an await that outlasts the suites before
 * it never runs and is never reported, not even as skipped, and the run's count silently drops
 * (src/control/telemetry/sink.test.ts lost its PostgreSQL suite that way whenever the probe was
 * slower than the SQLite suite). Probe first, then register everything in one go.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Top-level calls that register hooks, not tests: no test can finish before the next statement. */
const HOOKS = new Set(['before', 'after', 'beforeEach', 'afterEach']);

/** `file:line` of each top-level await that follows a top-level call which may register tests. */
function lateRegistrations(name: string, source: string): string[] {
  const sf = ts.createSourceFile(name, source, ts.ScriptTarget.Latest, true);
  const line = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const awaitOutsideFunctions = (n: ts.Node): ts.Node | undefined => {
    if (ts.isFunctionLike(n)) return undefined;
    if (ts.isAwaitExpression(n) || (ts.isForOfStatement(n) && n.awaitModifier)) return n;
    return ts.forEachChild(n, awaitOutsideFunctions);
  };
  const found: string[] = [];
  let firstCall: number | null = null;
  for (const st of sf.statements) {
    const late = firstCall === null ? undefined : awaitOutsideFunctions(st);
    if (late) found.push(`${name}:${line(late)} (after the call at line ${firstCall})`);
    if (firstCall !== null || !ts.isExpressionStatement(st) || !ts.isCallExpression(st.expression)) continue;
    const callee = st.expression.expression;
    if (!(ts.isIdentifier(callee) && HOOKS.has(callee.text))) firstCall = line(st);
  }
  return found;
}

function testFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) testFiles(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

test('the check finds a suite registered after an await, and passes one probed first', () => {
  const late = `describe('a', () => {});\nconst missing = await probe();\nif (missing) describe('b', () => {});\n`;
  assert.deepEqual(lateRegistrations('late.test.ts', late), ['late.test.ts:2 (after the call at line 1)']);
  const first = `const missing = await probe();\nafter(() => {});\nconst x = await more();\ndescribe('a', () => {});\n`;
  assert.deepEqual(lateRegistrations('first.test.ts', first), []);
  // An await inside a test or suite body is that test's business, not the file's.
  assert.deepEqual(lateRegistrations('body.test.ts', `test('a', async () => { await x; });\n`), []);
});

test('no test file registers tests after a top-level await', () => {
  const found = ['src', 'test', 'bench'].flatMap((d) =>
    testFiles(join(ROOT, d)).flatMap((f) => lateRegistrations(relative(ROOT, f), readFileSync(f, 'utf8'))),
  );
  assert.deepEqual(found, [], 'register every test before the first top-level await, or await before registering');
});

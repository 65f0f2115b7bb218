/**
 * @module shared/config/functions.test
 * Runtime names: Verge's own kinds and AWS's identifiers (as in CloudFormation and SAM
 * templates) map to what Verge runs, with a note when the version differs; unknown names pass
 * through resolveFunction for the caller's validation to name them.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AWS_RUNTIMES, RUNTIME_NAMES, resolveFunction, runtimeFor } from './functions.js';

describe('runtime names', () => {
  test("AWS's Node.js and Python identifiers map to Verge's runtimes", () => {
    assert.deepEqual(runtimeFor('nodejs20.x'), { runtime: 'nodejs' });
    for (const id of ['nodejs18.x', 'nodejs22.x']) {
      const m = runtimeFor(id)!;
      assert.equal(m.runtime, 'nodejs');
      assert.equal(m.note, `${id} runs on Verge's Node.js 20 runtime (as nodejs20.x)`);
    }
    for (const v of ['3.9', '3.10', '3.11', '3.12', '3.13']) {
      const m = runtimeFor(`python${v}`)!;
      assert.equal(m.runtime, 'python');
      assert.equal(m.note, `python${v} runs on Verge's Python 3.14 (Pyodide)`);
    }
    assert.deepEqual(Object.keys(AWS_RUNTIMES).sort(), [
      'nodejs18.x',
      'nodejs20.x',
      'nodejs22.x',
      'python3.10',
      'python3.11',
      'python3.12',
      'python3.13',
      'python3.9',
    ]);
  });

  test("Verge's own names map to themselves; others (and prototype keys) are unknown", () => {
    for (const k of ['nodejs', 'python', 'cloudfront-js-2.0', 'cloudfront-js-1.0'])
      assert.deepEqual(runtimeFor(k), { runtime: k });
    for (const k of ['nodejs16.x', 'python3.8', 'java21', 'toString', '__proto__', 'NODEJS20.X'])
      assert.equal(runtimeFor(k), undefined, k);
    assert.equal(RUNTIME_NAMES.length, 4 + 8);
  });

  test('resolveFunction carries the mapping and its note', () => {
    const r = resolveFunction({ path: './fn.js', runtime: 'nodejs22.x' });
    assert.equal(r.runtime, 'nodejs');
    assert.match(r.runtimeNote ?? '', /nodejs22\.x runs on Verge's Node\.js 20/);
    const py = resolveFunction({ path: './app.py', runtime: 'python3.12' });
    assert.equal(py.runtime, 'python');
    assert.equal(resolveFunction({ path: './fn.js', runtime: 'nodejs20.x' }).runtimeNote, undefined);
    assert.equal(resolveFunction({ path: './fn.js', runtime: 'deno' }).runtime, 'deno', 'left for validation');
  });
});

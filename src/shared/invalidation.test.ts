/** The invalidation rules both planes use (spec 7.6): every problem listed by field, the first one thrown. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { VergeError } from './errors.js';
import { invalidationProblems, isWildcardPath, validateInvalidation } from './invalidation.js';

const fields = (paths: unknown[], tags: unknown[] = []) => invalidationProblems(paths, tags).map((p) => p.path);

describe('invalidationProblems', () => {
  test('valid requests have none', () => {
    assert.deepEqual(fields(['/a', '/images/*', '/images*', '/a/b.jpg*', '/*', '/q?x=1'], ['product-42']), []);
    assert.deepEqual(fields([], ['t']), []);
    assert.deepEqual(fields(['/' + 'a'.repeat(3999)]), []);
  });

  test('each bad path is named by index, with one problem per path', () => {
    assert.deepEqual(fields(['img/a.png', '/a*b', '/ok', '/a\nb', 7]), [
      '$.paths[0]',
      '$.paths[1]',
      '$.paths[3]',
      '$.paths[4]',
    ]);
    assert.deepEqual(fields(['/' + 'a'.repeat(4000)]), ['$.paths[0]']);
    assert.deepEqual(fields(['nope*x']), ['$.paths[0]'], 'not starting with / is the one reported');
  });

  test('limits: 3000 file paths, 15 wildcard paths, 3000 tags', () => {
    assert.deepEqual(fields(Array.from({ length: 3000 }, (_, i) => `/f${i}`)), []);
    assert.deepEqual(fields(Array.from({ length: 3001 }, (_, i) => `/f${i}`)), ['$.paths']);
    assert.deepEqual(fields(Array.from({ length: 15 }, (_, i) => `/d${i}/*`)), []);
    assert.deepEqual(fields(Array.from({ length: 16 }, (_, i) => `/d${i}/*`)), ['$.paths']);
    assert.deepEqual(
      fields(
        ['/x'],
        Array.from({ length: 3001 }, (_, i) => `t${i}`),
      ),
      ['$.tags'],
    );
  });

  test('an empty request and bad tags', () => {
    assert.deepEqual(fields([]), ['$.paths']);
    assert.deepEqual(fields([], ['ok', 'has space', '', 'a,b', 'x'.repeat(1025), 3]), [
      '$.tags[1]',
      '$.tags[2]',
      '$.tags[3]',
      '$.tags[4]',
      '$.tags[5]',
    ]);
  });

  test('messages name the offending value', () => {
    const [p] = invalidationProblems(['nope'], []);
    assert.match(p!.message, /must start with "\/" \(got "nope"\)/);
    const [w] = invalidationProblems(
      Array.from({ length: 16 }, (_, i) => `/d${i}/*`),
      [],
    );
    assert.match(w!.message, /at most 15 wildcard paths per invalidation \(got 16\)/);
  });

  test('isWildcardPath', () => {
    assert.equal(isWildcardPath('/img/*'), true);
    assert.equal(isWildcardPath('/img/a.png'), false);
  });
});

describe('validateInvalidation', () => {
  test('throws INVALIDATION_INVALID with the first problem, naming field and value', () => {
    assert.throws(
      () => validateInvalidation({ distributionId: 'D1', paths: ['/ok', 'nope', '/a*b'] }),
      (e: unknown) =>
        e instanceof VergeError &&
        e.code === 'INVALIDATION_INVALID' &&
        /^\$\.paths\[1\]: .*"nope"/.test(e.message) &&
        e.details?.distributionId === 'D1' &&
        e.details?.field === '$.paths[1]',
    );
    validateInvalidation({ distributionId: 'D1', paths: ['/ok'], tags: ['t'] });
  });
});

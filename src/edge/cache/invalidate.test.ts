/**
 * @module edge/cache/invalidate.test
 * CloudFront invalidation rules (spec 7.6): path syntax, limits, matching, tags.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { VergeError } from '../../shared/errors.js';
import { compileInvalidation, validateInvalidation } from './invalidate.js';

const e = (invalidationPath: string, tags: string[] = [], distributionId = 'D1') => ({
  distributionId,
  invalidationPath,
  tags,
});
const rejects = (paths: string[], tags?: string[]) =>
  assert.throws(
    () => validateInvalidation(tags ? { distributionId: 'D1', paths, tags } : { distributionId: 'D1', paths }),
    (err: unknown) => err instanceof VergeError && err.code === 'INVALIDATION_INVALID',
  );

describe('validation', () => {
  test('paths must start with /', () => rejects(['images/a.jpg']));
  test('* only as the last character', () => {
    rejects(['/images/*.jpg']);
    rejects(['/*/a']);
    validateInvalidation({ distributionId: 'D1', paths: ['/images/*', '/images*', '/a/b.jpg*', '/*'] });
  });
  test('at most 4000 characters', () => {
    rejects(['/' + 'a'.repeat(4000)]);
    validateInvalidation({ distributionId: 'D1', paths: ['/' + 'a'.repeat(3999)] });
  });
  test('at most 3000 file paths and 15 wildcards per request', () => {
    rejects(Array.from({ length: 3001 }, (_, i) => `/f${i}`));
    validateInvalidation({ distributionId: 'D1', paths: Array.from({ length: 3000 }, (_, i) => `/f${i}`) });
    rejects(Array.from({ length: 16 }, (_, i) => `/d${i}/*`));
    validateInvalidation({ distributionId: 'D1', paths: Array.from({ length: 15 }, (_, i) => `/d${i}/*`) });
  });
  test('control characters, empty requests and bad tags are refused', () => {
    rejects(['/a\nb']);
    rejects([]);
    rejects([], ['has space']);
    rejects([], ['']);
  });
  test('the message names the offending path', () => {
    try {
      validateInvalidation({ distributionId: 'D1', paths: ['/ok', 'nope'] });
      assert.fail('expected a throw');
    } catch (err) {
      assert.ok(err instanceof VergeError);
      assert.match(err.message, /"nope"/);
    }
  });
});

describe('matching', () => {
  test('exact paths are case-sensitive and exclude other queries', () => {
    const m = compileInvalidation({ distributionId: 'D1', paths: ['/a.jpg'] });
    assert.equal(m(e('/a.jpg')), true);
    assert.equal(m(e('/A.jpg')), false);
    assert.equal(m(e('/a.jpg?x=1')), false);
    assert.equal(m(e('/a.jpgx')), false);
  });
  test('query strings are part of the path; parameter order does not matter', () => {
    const m = compileInvalidation({ distributionId: 'D1', paths: ['/a.jpg?y=2&x=1'] });
    assert.equal(m(e('/a.jpg?x=1&y=2')), true);
    assert.equal(m(e('/a.jpg?x=1')), false);
  });
  test('a trailing * covers everything after the prefix, queries included', () => {
    const m = compileInvalidation({ distributionId: 'D1', paths: ['/images/*', '/a.jpg*'] });
    assert.equal(m(e('/images/x/y.png')), true);
    assert.equal(m(e('/a.jpg?v=3')), true);
    assert.equal(m(e('/imagesX')), false);
    assert.equal(m(e('/b.jpg')), false);
  });
  test('/* clears the whole distribution and nothing else', () => {
    const m = compileInvalidation({ distributionId: 'D1', paths: ['/*'] });
    assert.equal(m(e('/anything?x')), true);
    assert.equal(m(e('/anything', [], 'D2')), false);
  });
  test('non-ASCII and spaces are matched in percent-encoded form', () => {
    const m = compileInvalidation({ distributionId: 'D1', paths: ['/café menu.html'] });
    assert.equal(m(e('/caf%C3%A9%20menu.html')), true);
  });
  test('tags', () => {
    const m = compileInvalidation({ distributionId: 'D1', tags: ['post-1'] });
    assert.equal(m(e('/x', ['blog', 'post-1'])), true);
    assert.equal(m(e('/x', ['post-10'])), false);
    assert.equal(m(e('/x', ['post-1'], 'D2')), false);
  });
});

/**
 * @module edge/origin/conditional.test
 * RFC 9110 preconditions and ranges as pure functions.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluatePreconditions, ifRangeHolds, parseRange } from './conditional.js';

const v = { etag: '"abc"', mtimeMs: Date.UTC(2026, 0, 2, 3, 4, 5, 678) };

describe('parseRange', () => {
  test('single ranges, clamped to the size', () => {
    assert.deepEqual(parseRange('bytes=0-0', 10), { start: 0, end: 0 });
    assert.deepEqual(parseRange('bytes=2-', 10), { start: 2, end: 9 });
    assert.deepEqual(parseRange('bytes=-4', 10), { start: 6, end: 9 });
    assert.deepEqual(parseRange('BYTES = 3 - 99', 10), { start: 3, end: 9 });
  });
  test('unsatisfiable and ignored forms', () => {
    assert.equal(parseRange('bytes=10-', 10), 'unsatisfiable');
    assert.equal(parseRange('bytes=-0', 10), 'unsatisfiable');
    assert.equal(parseRange('bytes=-1', 0), 'unsatisfiable');
    for (const h of [undefined, 'bytes=-', 'bytes=4-2', 'bytes=0-1,4-5', 'lines=0-1', 'bytes=a-b']) {
      assert.equal(parseRange(h, 10), null, String(h));
    }
  });
});

describe('evaluatePreconditions (RFC 9110 13.2.2)', () => {
  test('If-Match uses strong comparison; If-Unmodified-Since only without If-Match', () => {
    assert.equal(evaluatePreconditions({ ifMatch: 'W/"abc"' }, v), 412);
    assert.equal(evaluatePreconditions({ ifMatch: '"x", "abc"' }, v), 'proceed');
    assert.equal(evaluatePreconditions({ ifUnmodifiedSince: 'Fri, 02 Jan 2026 03:04:05 GMT' }, v), 'proceed');
    assert.equal(evaluatePreconditions({ ifUnmodifiedSince: 'Fri, 02 Jan 2026 03:04:04 GMT' }, v), 412);
    assert.equal(
      evaluatePreconditions({ ifMatch: '"abc"', ifUnmodifiedSince: 'Thu, 01 Jan 2026 00:00:00 GMT' }, v),
      'proceed',
    );
  });
  test('If-None-Match uses weak comparison and overrides If-Modified-Since; dates compare in whole seconds', () => {
    assert.equal(evaluatePreconditions({ ifNoneMatch: 'W/"abc"' }, v), 304);
    assert.equal(
      evaluatePreconditions({ ifNoneMatch: '"zzz"', ifModifiedSince: 'Sat, 03 Jan 2026 00:00:00 GMT' }, v),
      'proceed',
    );
    assert.equal(evaluatePreconditions({ ifModifiedSince: 'Fri, 02 Jan 2026 03:04:05 GMT' }, v), 304);
    assert.equal(evaluatePreconditions({ ifModifiedSince: 'garbage' }, v), 'proceed');
  });
});

describe('ifRangeHolds', () => {
  test('entity tags match strongly, dates exactly', () => {
    assert.equal(ifRangeHolds(undefined, v), true);
    assert.equal(ifRangeHolds('"abc"', v), true);
    assert.equal(ifRangeHolds('W/"abc"', v), false);
    assert.equal(ifRangeHolds('Fri, 02 Jan 2026 03:04:05 GMT', v), true);
    assert.equal(ifRangeHolds('Fri, 02 Jan 2026 03:04:06 GMT', v), false);
  });
});

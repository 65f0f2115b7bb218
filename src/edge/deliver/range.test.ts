import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { contentRange, evaluateRange, unsatisfiedContentRange } from './range.js';

const LM = 'Tue, 15 Nov 1994 12:45:26 GMT';

describe('evaluateRange (RFC 9110 14)', () => {
  test('no Range → full', () => {
    assert.deepEqual(evaluateRange(undefined, undefined, 1000), { kind: 'full' });
  });
  test('closed, open and suffix ranges', () => {
    assert.deepEqual(evaluateRange('bytes=0-499', undefined, 10_000), { kind: 'partial', start: 0, end: 499 });
    assert.deepEqual(evaluateRange('bytes=500-999', undefined, 10_000), { kind: 'partial', start: 500, end: 999 });
    assert.deepEqual(evaluateRange('bytes=9500-', undefined, 10_000), { kind: 'partial', start: 9500, end: 9999 });
    assert.deepEqual(evaluateRange('bytes=-500', undefined, 10_000), { kind: 'partial', start: 9500, end: 9999 });
    assert.deepEqual(evaluateRange('bytes=0-0', undefined, 10_000), { kind: 'partial', start: 0, end: 0 });
    assert.deepEqual(evaluateRange('Bytes = 1-2', undefined, 10), { kind: 'partial', start: 1, end: 2 });
  });
  test('last-pos past the end is clipped; suffix longer than the body is the whole body', () => {
    assert.deepEqual(evaluateRange('bytes=5-100', undefined, 10), { kind: 'partial', start: 5, end: 9 });
    assert.deepEqual(evaluateRange('bytes=-100', undefined, 10), { kind: 'partial', start: 0, end: 9 });
  });
  test('unsatisfiable: first-pos at or past the end, or zero suffix', () => {
    assert.deepEqual(evaluateRange('bytes=10-', undefined, 10), { kind: 'unsatisfiable' });
    assert.deepEqual(evaluateRange('bytes=10-20', undefined, 10), { kind: 'unsatisfiable' });
    assert.deepEqual(evaluateRange('bytes=-0', undefined, 10), { kind: 'unsatisfiable' });
    assert.deepEqual(evaluateRange('bytes=0-5', undefined, 0), { kind: 'unsatisfiable' });
    assert.deepEqual(evaluateRange('bytes=20-30, 40-50', undefined, 10), { kind: 'unsatisfiable' });
  });
  test('zero-length representation with a suffix range is sent whole', () => {
    assert.deepEqual(evaluateRange('bytes=-5', undefined, 0), { kind: 'full' });
  });
  test('invalid syntax or another unit → the header is ignored', () => {
    for (const h of [
      'bytes=5-1',
      'bytes=a-b',
      'bytes=1',
      'items=0-5',
      'bytes',
      'bytes=',
      'bytes=--5',
      'bytes=1-2-3',
      'bytes= -',
      'bytes=0x1-2',
    ])
      assert.deepEqual(evaluateRange(h, undefined, 100), { kind: 'full' }, h);
    const many = 'bytes=' + Array.from({ length: 101 }, (_, i) => `${i}-${i}`).join(',');
    assert.deepEqual(evaluateRange(many, undefined, 1000), { kind: 'full' });
  });
  test('several satisfiable ranges → full; one satisfiable among unsatisfiable → that one', () => {
    assert.deepEqual(evaluateRange('bytes=0-1, 5-6', undefined, 10), { kind: 'full' });
    assert.deepEqual(evaluateRange('bytes=0-1, 50-60', undefined, 10), { kind: 'partial', start: 0, end: 1 });
    assert.deepEqual(evaluateRange('bytes=0-1,', undefined, 10), { kind: 'partial', start: 0, end: 1 });
  });
  test('If-Range with a strong ETag: strong match serves the range, otherwise full', () => {
    assert.deepEqual(evaluateRange('bytes=0-1', '"v1"', 10, '"v1"'), { kind: 'partial', start: 0, end: 1 });
    assert.deepEqual(evaluateRange('bytes=0-1', '"v2"', 10, '"v1"'), { kind: 'full' });
    assert.deepEqual(evaluateRange('bytes=0-1', 'W/"v1"', 10, 'W/"v1"'), { kind: 'full' }, 'weak never matches');
    assert.deepEqual(evaluateRange('bytes=0-1', '"v1"', 10, 'W/"v1"'), { kind: 'full' });
    assert.deepEqual(evaluateRange('bytes=0-1', '"v1"', 10), { kind: 'full' });
  });
  test('If-Range with a date must equal Last-Modified exactly', () => {
    assert.deepEqual(evaluateRange('bytes=0-1', LM, 10, undefined, LM), { kind: 'partial', start: 0, end: 1 });
    assert.deepEqual(evaluateRange('bytes=0-1', 'Tue, 15 Nov 1994 12:45:27 GMT', 10, undefined, LM), { kind: 'full' });
    assert.deepEqual(evaluateRange('bytes=0-1', LM, 10), { kind: 'full' });
    assert.deepEqual(evaluateRange('bytes=0-1', 'garbage', 10, undefined, LM), { kind: 'full' });
  });
  test('If-Range is irrelevant when the Range itself is ignored', () => {
    assert.deepEqual(evaluateRange('bytes=9-1', '"v1"', 10, '"v1"'), { kind: 'full' });
  });
  test('Content-Range values', () => {
    assert.equal(contentRange(0, 499, 1234), 'bytes 0-499/1234');
    assert.equal(unsatisfiedContentRange(1234), 'bytes */1234');
  });
});

describe('evaluateRange past 2^31 and 2^32 bytes (issue 12: objects up to 20 GiB and more)', () => {
  const size = 2 ** 32 + 2 ** 20 + 7;
  const big = 20 * 2 ** 30 + 7;
  test('open, suffix and closed ranges at the end of an object past 4 GiB', () => {
    assert.deepEqual(evaluateRange(`bytes=${size - 100}-`, undefined, size), {
      kind: 'partial',
      start: size - 100,
      end: size - 1,
    });
    assert.deepEqual(evaluateRange('bytes=-100', undefined, size), {
      kind: 'partial',
      start: size - 100,
      end: size - 1,
    });
    assert.deepEqual(evaluateRange(`bytes=${size - 1}-${size + 99}`, undefined, size), {
      kind: 'partial',
      start: size - 1,
      end: size - 1,
    });
    assert.deepEqual(evaluateRange(`bytes=-${size + 1}`, undefined, size), {
      kind: 'partial',
      start: 0,
      end: size - 1,
    });
    assert.deepEqual(evaluateRange(`bytes=${size}-`, undefined, size), { kind: 'unsatisfiable' });
    assert.deepEqual(evaluateRange('bytes=-1', undefined, big), { kind: 'partial', start: big - 1, end: big - 1 });
  });
  test('ranges across 2^31 and 2^32 keep every bit', () => {
    for (const edge of [2 ** 31, 2 ** 32]) {
      assert.deepEqual(evaluateRange(`bytes=${edge - 1}-${edge}`, undefined, size), {
        kind: 'partial',
        start: edge - 1,
        end: edge,
      });
    }
    assert.deepEqual(evaluateRange(`bytes=${2 ** 32}-${2 ** 32 + 9}`, '"e"', size, '"e"'), {
      kind: 'partial',
      start: 2 ** 32,
      end: 2 ** 32 + 9,
    });
    assert.deepEqual(evaluateRange(`bytes=${2 ** 32}-`, '"other"', size, '"e"'), { kind: 'full' });
  });
  test('positions past any size (beyond 2^53) are unsatisfiable or clipped, never wrapped', () => {
    const huge = '99999999999999999999999';
    assert.deepEqual(evaluateRange(`bytes=${huge}-`, undefined, big), { kind: 'unsatisfiable' });
    assert.deepEqual(evaluateRange(`bytes=${big - 5}-${huge}`, undefined, big), {
      kind: 'partial',
      start: big - 5,
      end: big - 1,
    });
    assert.deepEqual(evaluateRange(`bytes=-${huge}`, undefined, big), { kind: 'partial', start: 0, end: big - 1 });
  });
  test('Content-Range values past 2^32', () => {
    assert.equal(contentRange(2 ** 32, size - 1, size), `bytes 4294967296-4296015878/4296015879`);
    assert.equal(unsatisfiedContentRange(big), 'bytes */21474836487');
  });
});

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { CfHeaders } from '../../shared/lambda-edge/index.js';
import { evaluateConditional, notModifiedHeaders } from './conditional.js';
import { parseEntityTagList, parseHttpDate } from './validators.js';

function hdrs(o: Record<string, string>): CfHeaders {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k.toLowerCase(), [{ key: k, value: v }]]));
}
const LM = 'Tue, 15 Nov 1994 12:45:26 GMT';
const BEFORE = 'Tue, 15 Nov 1994 12:45:25 GMT';
const AFTER = 'Tue, 15 Nov 1994 12:45:27 GMT';
const stored = hdrs({ ETag: '"v1"', 'Last-Modified': LM });
const ev = (req: Record<string, string>, method = 'GET', res: CfHeaders = stored) =>
  evaluateConditional(method, hdrs(req), res);

describe('evaluateConditional (RFC 9110 13.2.2)', () => {
  test('no preconditions → none', () => assert.equal(ev({}), 'none'));
  test('If-None-Match uses weak comparison; GET/HEAD → 304, other methods → 412', () => {
    assert.equal(ev({ 'If-None-Match': '"v1"' }), 'not-modified');
    assert.equal(ev({ 'If-None-Match': 'W/"v1"' }), 'not-modified');
    assert.equal(ev({ 'If-None-Match': '"x", "v1"' }, 'HEAD'), 'not-modified');
    assert.equal(ev({ 'If-None-Match': '*' }), 'not-modified');
    assert.equal(ev({ 'If-None-Match': '"v2"' }), 'none');
    assert.equal(ev({ 'If-None-Match': '"v1"' }, 'POST'), 'precondition-failed');
    assert.equal(ev({ 'If-None-Match': '"v1"' }, 'GET', hdrs({ ETag: 'W/"v1"' })), 'not-modified');
    assert.equal(ev({ 'If-None-Match': '"v1"' }, 'GET', hdrs({ 'Last-Modified': LM })), 'none');
  });
  test('If-Modified-Since only when there is no If-None-Match', () => {
    assert.equal(ev({ 'If-Modified-Since': LM }), 'not-modified');
    assert.equal(ev({ 'If-Modified-Since': AFTER }), 'not-modified');
    assert.equal(ev({ 'If-Modified-Since': BEFORE }), 'none');
    assert.equal(ev({ 'If-Modified-Since': LM, 'If-None-Match': '"v2"' }), 'none', 'INM takes precedence');
    assert.equal(ev({ 'If-Modified-Since': LM }, 'POST'), 'none');
    assert.equal(ev({ 'If-Modified-Since': 'not a date' }), 'none');
    assert.equal(ev({ 'If-Modified-Since': LM }, 'GET', hdrs({ ETag: '"v1"' })), 'none', 'no Last-Modified → ignored');
  });
  test('If-Match uses strong comparison and comes first', () => {
    assert.equal(ev({ 'If-Match': '"v1"' }), 'none');
    assert.equal(ev({ 'If-Match': '*' }), 'none');
    assert.equal(ev({ 'If-Match': '"v2"' }), 'precondition-failed');
    assert.equal(ev({ 'If-Match': 'W/"v1"' }), 'precondition-failed');
    assert.equal(ev({ 'If-Match': '"v1"' }, 'GET', hdrs({ ETag: 'W/"v1"' })), 'precondition-failed');
    assert.equal(ev({ 'If-Match': '"v2"', 'If-None-Match': '"v1"' }), 'precondition-failed');
    assert.equal(ev({ 'If-Match': '"v1"', 'If-None-Match': '"v1"' }), 'not-modified');
  });
  test('If-Unmodified-Since only without If-Match', () => {
    assert.equal(ev({ 'If-Unmodified-Since': BEFORE }), 'precondition-failed');
    assert.equal(ev({ 'If-Unmodified-Since': LM }), 'none');
    assert.equal(ev({ 'If-Unmodified-Since': BEFORE, 'If-Match': '"v1"' }), 'none');
    assert.equal(ev({ 'If-Unmodified-Since': 'garbage' }), 'none');
  });
});

describe('validators', () => {
  test('entity-tag lists, including commas inside tags', () => {
    assert.deepEqual(parseEntityTagList('"a,b", W/"c"'), [
      { weak: false, opaque: '"a,b"' },
      { weak: true, opaque: '"c"' },
    ]);
    assert.equal(parseEntityTagList(' * '), '*');
    assert.deepEqual(parseEntityTagList('abc, def'), [
      { weak: false, opaque: 'abc' },
      { weak: false, opaque: 'def' },
    ]);
  });
  test('HTTP-date in all three forms, asctime read as GMT', () => {
    const t = Date.UTC(1994, 10, 6, 8, 49, 37) / 1000;
    assert.equal(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT'), t);
    assert.equal(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT'), t);
    assert.equal(parseHttpDate('Sun Nov  6 08:49:37 1994'), t);
    assert.equal(parseHttpDate('yesterday'), undefined);
    assert.equal(parseHttpDate(undefined), undefined);
  });
});

describe('notModifiedHeaders (RFC 9110 15.4.5)', () => {
  test('keeps validators and caching headers only, as copies', () => {
    const src = hdrs({
      'Cache-Control': 'max-age=60',
      'Content-Location': '/a',
      Date: LM,
      ETag: '"v1"',
      Expires: AFTER,
      Vary: 'Accept-Encoding',
      'Last-Modified': LM,
      'Content-Type': 'text/html',
      'Content-Length': '10',
      'Set-Cookie': 'a=b',
      'X-Custom': '1',
    });
    const out = notModifiedHeaders(src);
    assert.deepEqual(Object.keys(out).sort(), [
      'cache-control',
      'content-location',
      'date',
      'etag',
      'expires',
      'last-modified',
      'vary',
    ]);
    assert.deepEqual(out['etag'], [{ key: 'ETag', value: '"v1"' }]);
    out['etag']![0]!.value = 'changed';
    assert.equal(src['etag']![0]!.value, '"v1"');
  });
});

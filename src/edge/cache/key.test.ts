/**
 * @module edge/cache/key.test
 * Cache keys per spec 7.2: what shares a key and what does not, and the Accept-Encoding table.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CfHeaders } from '../../shared/lambda-edge/index.js';
import type { CachePolicyPlan, ListPolicy } from '../config/plan.js';
import { buildCacheKey, normalizeAcceptEncoding } from './key.js';

const NONE: ListPolicy = { behavior: 'none', items: [] };
function policy(over: Partial<CachePolicyPlan> = {}): CachePolicyPlan {
  return {
    name: 'test',
    minTTL: 1,
    defaultTTL: 86400,
    maxTTL: 31536000,
    headers: NONE,
    cookies: NONE,
    queryStrings: NONE,
    enableAcceptEncodingGzip: false,
    enableAcceptEncodingBrotli: false,
    ...over,
  };
}
function hdrs(pairs: Array<[string, string]>): CfHeaders {
  const out: CfHeaders = {};
  for (const [k, v] of pairs) (out[k.toLowerCase()] ??= []).push({ key: k, value: v });
  return out;
}
function key(p: CachePolicyPlan, uri: string, qs = '', headers: Array<[string, string]> = [], method = 'GET') {
  return buildCacheKey({
    domainName: 'd1.verge.local',
    method,
    uri,
    querystring: qs,
    headers: hdrs(headers),
    policy: p,
  });
}
const same = (a: { key: string }, b: { key: string }) => assert.equal(a.key, b.key);
const differ = (a: { key: string }, b: { key: string }) => assert.notEqual(a.key, b.key);

describe('default key: domain + path', () => {
  test('query, headers and cookies are ignored by default', () => {
    const p = policy();
    same(
      key(p, '/a.jpg'),
      key(p, '/a.jpg', 'x=1', [
        ['Cookie', 'a=1'],
        ['X-Foo', 'bar'],
      ]),
    );
    differ(key(p, '/a.jpg'), key(p, '/A.jpg'));
    assert.equal(key(p, '/a.jpg', 'x=1').queryForOrigin, undefined);
  });
  test('the distribution domain, not the viewer Host, is in the key', () => {
    const p = policy();
    same(key(p, '/a', '', [['Host', 'one.example']]), key(p, '/a', '', [['Host', 'two.example']]));
    const other = buildCacheKey({
      domainName: 'd2.verge.local',
      method: 'GET',
      uri: '/a',
      querystring: '',
      headers: {},
      policy: p,
    });
    differ(key(p, '/a'), other);
  });
  test('OPTIONS has the method in its key; GET and HEAD share one', () => {
    const p = policy();
    differ(key(p, '/a', '', [], 'OPTIONS'), key(p, '/a', '', [], 'GET'));
    same(key(p, '/a', '', [], 'HEAD'), key(p, '/a', '', [], 'GET'));
  });
});

describe('query strings', () => {
  test('all: every parameter, order-insensitive across names; origin gets the viewer order', () => {
    const p = policy({ queryStrings: { behavior: 'all', items: [] } });
    same(key(p, '/a', 'a=1&b=2'), key(p, '/a', 'b=2&a=1'));
    differ(key(p, '/a', 'a=1&b=2'), key(p, '/a', 'a=1&b=3'));
    differ(key(p, '/a', 'a=1&a=2'), key(p, '/a', 'a=2&a=1'));
    assert.equal(key(p, '/a', 'b=2&a=1').queryForOrigin, 'b=2&a=1');
    assert.equal(key(p, '/a', 'b=2&a=1').invalidationPath, '/a?a=1&b=2');
  });
  test('names and values are case-sensitive', () => {
    const p = policy({ queryStrings: { behavior: 'all', items: [] } });
    differ(key(p, '/a', 'x=1'), key(p, '/a', 'X=1'));
    differ(key(p, '/a', 'x=a'), key(p, '/a', 'x=A'));
  });
  test('whitelist: only listed names', () => {
    const p = policy({ queryStrings: { behavior: 'whitelist', items: ['color'] } });
    same(key(p, '/a', 'color=red&size=l'), key(p, '/a', 'size=s&color=red'));
    differ(key(p, '/a', 'color=red'), key(p, '/a', 'color=blue'));
    assert.equal(key(p, '/a', 'size=s&color=red&x').queryForOrigin, 'color=red');
    assert.equal(key(p, '/a', 'size=s').invalidationPath, '/a');
  });
  test('allExcept: everything but listed names', () => {
    const p = policy({ queryStrings: { behavior: 'allExcept', items: ['utm_source'] } });
    same(key(p, '/a', 'q=1&utm_source=x'), key(p, '/a', 'q=1&utm_source=y'));
    differ(key(p, '/a', 'q=1'), key(p, '/a', 'q=2'));
    assert.equal(key(p, '/a', 'utm_source=x&q=1').queryForOrigin, 'q=1');
  });
  test('a query does not collide with a path containing the same characters', () => {
    const p = policy({ queryStrings: { behavior: 'all', items: [] } });
    differ(key(p, '/a', 'b=1'), key(p, '/a%3Fb=1'));
  });
});

describe('headers and cookies', () => {
  test('whitelisted headers by lower-case name; values case-sensitive; absent ≠ empty', () => {
    const p = policy({ headers: { behavior: 'whitelist', items: ['x-device'] } });
    same(key(p, '/a', '', [['X-Device', 'm']]), key(p, '/a', '', [['x-device', 'm']]));
    differ(key(p, '/a', '', [['X-Device', 'm']]), key(p, '/a', '', [['X-Device', 'M']]));
    differ(key(p, '/a'), key(p, '/a', '', [['X-Device', '']]));
    same(key(p, '/a', '', [['X-Other', '1']]), key(p, '/a'));
  });
  test('cookies: whitelist across several Cookie lines, any order', () => {
    const p = policy({ cookies: { behavior: 'whitelist', items: ['session'] } });
    same(
      key(p, '/a', '', [['Cookie', 'a=1; session=s1']]),
      key(p, '/a', '', [
        ['Cookie', 'b=2'],
        ['Cookie', 'session=s1'],
      ]),
    );
    differ(key(p, '/a', '', [['Cookie', 'session=s1']]), key(p, '/a', '', [['Cookie', 'session=s2']]));
    differ(key(p, '/a', '', [['Cookie', 'session=s1']]), key(p, '/a', '', [['Cookie', 'Session=s1']]));
  });
  test('cookies: all and allExcept', () => {
    const all = policy({ cookies: { behavior: 'all', items: [] } });
    same(
      key(all, '/a', '', [['Cookie', 'a=1; b=2']]),
      key(all, '/a', '', [
        ['Cookie', 'b=2'],
        ['Cookie', 'a=1'],
      ]),
    );
    differ(key(all, '/a', '', [['Cookie', 'a=1']]), key(all, '/a'));
    const except = policy({ cookies: { behavior: 'allExcept', items: ['_ga'] } });
    same(key(except, '/a', '', [['Cookie', '_ga=1; a=1']]), key(except, '/a', '', [['Cookie', '_ga=2; a=1']]));
    differ(key(except, '/a', '', [['Cookie', 'a=1']]), key(except, '/a', '', [['Cookie', 'a=2']]));
  });
});

describe('Accept-Encoding normalization (spec 7.2 table)', () => {
  const ae = (v: string | undefined, gzip: boolean, br: boolean) =>
    normalizeAcceptEncoding(v === undefined ? {} : hdrs([['Accept-Encoding', v]]), gzip, br);
  test('gzip + br flags', () => {
    assert.equal(ae('gzip, deflate, br', true, true), 'br,gzip');
    assert.equal(ae('br;q=1.0, gzip;q=0.8, *;q=0.1', true, true), 'br,gzip');
    assert.equal(ae('gzip', true, true), 'gzip');
    assert.equal(ae('br', true, true), 'br');
    assert.equal(ae('deflate, zstd', true, true), 'identity');
    assert.equal(ae(undefined, true, true), 'identity');
  });
  test('one flag only', () => {
    assert.equal(ae('gzip, br', true, false), 'gzip');
    assert.equal(ae('br', true, false), 'identity');
    assert.equal(ae('gzip, br', false, true), 'br');
    assert.equal(ae('GZIP', true, false), 'gzip');
  });
  test('q=0 means refused (RFC 9110 12.5.3)', () => assert.equal(ae('gzip;q=0, br', true, true), 'br'));
  test('in the key only in normalized form; identity stays out of the key', () => {
    const p = policy({ enableAcceptEncodingGzip: true, enableAcceptEncodingBrotli: true });
    same(
      key(p, '/a', '', [['Accept-Encoding', 'gzip, br']]),
      key(p, '/a', '', [['Accept-Encoding', 'br, gzip, deflate']]),
    );
    differ(key(p, '/a', '', [['Accept-Encoding', 'gzip']]), key(p, '/a', '', [['Accept-Encoding', 'gzip, br']]));
    same(key(p, '/a'), key(p, '/a', '', [['Accept-Encoding', 'deflate']]));
    assert.equal(key(p, '/a', '', [['Accept-Encoding', 'gzip, br']]).acceptEncoding, 'br,gzip');
    assert.equal(key(p, '/a').acceptEncoding, 'identity');
  });
  test('flags off: not in play unless whitelisted as a plain header', () => {
    const off = policy();
    assert.equal(key(off, '/a', '', [['Accept-Encoding', 'gzip']]).acceptEncoding, undefined);
    same(key(off, '/a', '', [['Accept-Encoding', 'gzip']]), key(off, '/a'));
    const listed = policy({ headers: { behavior: 'whitelist', items: ['accept-encoding'] } });
    differ(key(listed, '/a', '', [['Accept-Encoding', 'gzip']]), key(listed, '/a', '', [['Accept-Encoding', 'br']]));
  });
});

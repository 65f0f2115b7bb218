/**
 * @module test/scenarios/edge-cache-parsing
 * Scenario tests for the behaviours the current HTTP caching suite found wrong (issue 13), each
 * through a real edge in front of a scripted origin, time on FakeClock: `Age` lists and invalid
 * values (RFC 9111 5.1), strict `Expires` / HTTP-date parsing (5.3, RFC 9110 5.6.7), error
 * responses with the Error Caching Min TTL at 0 and at CloudFront's default, stale errors, and
 * interim (1xx) responses from the origin.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { FakeClock } from '../../src/shared/clock.js';
import { ERROR_RESPONSE_CODES } from '../../src/shared/config/defaults.js';
import { nullRuntime } from '../../src/runtime/host/index.js';
import { startOrigin, type ScriptedOrigin, type ScriptedResponse } from '../harness/origin.js';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';

/** The conformance edge's policy: no freshness of the edge's own, the origin decides. */
const RFC_POLICY = { minTTL: 0, defaultTTL: 0, maxTTL: 31536000 };
const HIT = 'Hit from verge';

describe('edge cache: header parsing and error responses (issue 13)', () => {
  const clock = new FakeClock();
  const sec = (s: number) => clock.advance(s * 1000);
  const httpDate = (offsetSec = 0) => new Date(clock.now() + offsetSec * 1000).toUTCString();
  let origin: ScriptedOrigin;
  let te: TestEdge;
  /** Path → what the origin answers next (the body counts origin requests). */
  const script = new Map<string, (n: number) => ScriptedResponse>();

  before(async () => {
    origin = await startOrigin({
      '*': (r, n) => {
        const f = script.get(r.path);
        return f ? f(n) : { status: 404, body: 'unscripted' };
      },
    });
    const behavior = { targetOriginId: 'o1', cachePolicy: RFC_POLICY };
    te = await startTestEdge({
      configs: [
        // Error Caching Min TTL 0 everywhere: RFC 9111 exactly.
        distribution(origin.port, {
          defaultCacheBehavior: behavior,
          customErrorResponses: ERROR_RESPONSE_CODES.map((errorCode) => ({ errorCode, errorCachingMinTTL: 0 })),
        }),
        // CloudFront's default (10 s).
        distribution(origin.port, { id: 'cf', aliases: ['cf.local'], defaultCacheBehavior: behavior }),
      ],
      clock,
      runtime: nullRuntime,
    });
  });
  after(async () => {
    await te.close();
    await origin.close();
  });

  /**
   * Two GETs of a fresh path answered by `first`; whether the second came from the cache, counted
   * at the origin (X-Cache says `Error` for any error status, cached or not).
   */
  async function secondIsHit(path: string, first: ScriptedResponse, host?: string): Promise<boolean> {
    script.set(path, (n) => (n === 1 ? { ...first, body: first.body ?? 'one' } : { body: `again-${n}` }));
    const opts = host ? { host } : {};
    const a = await te.get(path, opts);
    const b = await te.get(path, opts);
    const hit = origin.count(path) === 1;
    assert.equal(b.text, hit ? a.text : 'again-2', `${path}: body of the second response`);
    return hit;
  }

  test('Age: the first member of the first line counts; an invalid value is ignored (RFC 9111 5.1)', async () => {
    const cases: Array<[string | string[], boolean]> = [
      ['0, 7200', true],
      ['7200, 0', false],
      [['0', '7200'], true],
      [['7200', '0'], false],
      ['abc', true],
      ['-7200', true],
      ['7200.0', true],
      ['2147483648', false],
    ];
    const got: Record<string, boolean> = {};
    const want: Record<string, boolean> = {};
    for (const [i, [age, hit]] of cases.entries()) {
      const label = JSON.stringify(age);
      want[label] = hit;
      got[label] = await secondIsHit(`/age-${i}`, { headers: { 'cache-control': 'max-age=3600', age } });
    }
    assert.deepEqual(got, want);
  });

  test('Expires: only an HTTP-date counts; anything else means already expired (RFC 9111 5.3)', async () => {
    const cases: Array<[string | string[], boolean]> = [
      ['Thu, 18 Aug 2050 02:01:18 GMT', true],
      ['Thursday, 18-Aug-50 02:01:18 GMT', true],
      ['Thu Aug 18 02:01:18 2050', true],
      ['Thu, 18 Aug 2050 02:01:18 UTC', false],
      ['Thu 18 Aug 2050 02:01:18 GMT', false],
      ['Thu, 18-Aug-2050 02:01:18 GMT', false],
      ['Thu, 18 Aug 2050 2:01:18 GMT', false],
      [['Thu, 18 Aug 2050 02:01:18 GMT', 'Thu, 18 Aug 2050 02:01:19 GMT'], false],
    ];
    const got: Record<string, boolean> = {};
    const want: Record<string, boolean> = {};
    for (const [i, [expires, hit]] of cases.entries()) {
      const label = JSON.stringify(expires);
      want[label] = hit;
      got[label] = await secondIsHit(`/expires-${i}`, { headers: { date: httpDate(), expires } });
    }
    assert.deepEqual(got, want);
  });

  test('Error Caching Min TTL 0: 502, 503, 504 are never heuristically fresh (RFC 9111 4.2.2)', async () => {
    for (const status of [502, 503, 504]) {
      const first = { status, headers: { date: httpDate(), 'last-modified': httpDate(-86400) } };
      assert.equal(await secondIsHit(`/heuristic-${status}`, first), false, String(status));
      assert.equal(origin.count(`/heuristic-${status}`), 2);
    }
  });

  test('Error Caching Min TTL 0: an error whose Expires has passed is not reused', async () => {
    for (const status of [404, 500, 502, 503, 504]) {
      const first = { status, headers: { date: httpDate(), expires: httpDate(-5000) } };
      assert.equal(await secondIsHit(`/stale-${status}`, first), false, String(status));
    }
  });

  test('Error Caching Min TTL 0: an error with explicit freshness is reused while fresh', async () => {
    assert.equal(await secondIsHit('/fresh-503', { status: 503, headers: { 'cache-control': 'max-age=100' } }), true);
  });

  test("CloudFront's default Error Caching Min TTL keeps a 503 for 10 s whatever it says", async () => {
    const first = { status: 503, headers: { date: httpDate(), 'last-modified': httpDate(-86400) } };
    assert.equal(await secondIsHit('/cf-503', first, 'cf.local'), true);
    sec(11);
    await te.get('/cf-503', { host: 'cf.local' });
    assert.equal(origin.count('/cf-503'), 2);
  });

  test('a stale 404 does not stand in for a 503 unless the origin allowed it with stale-if-error', async () => {
    for (const [path, cc, want] of [
      ['/gone', 'max-age=2', '503 again'],
      ['/gone-sie', 'max-age=2, stale-if-error=60', '404 first'],
    ] as const) {
      script.set(path, (n) =>
        n === 1 ? { status: 404, headers: { 'cache-control': cc }, body: 'first' } : { status: 503, body: 'again' },
      );
      assert.equal((await te.get(path)).status, 404);
      sec(3);
      const r = await te.get(path);
      assert.equal(`${r.status} ${r.text}`, want, path);
      assert.equal(origin.count(path), 2);
    }
  });

  test('a stale 404 answers when the origin cannot be reached (RFC 9111 4.2.4: disconnected)', async () => {
    script.set('/gone-down', (n) =>
      n === 1 ? { status: 404, headers: { 'cache-control': 'max-age=2' }, body: 'first' } : { reset: true },
    );
    await te.get('/gone-down');
    sec(3);
    const r = await te.get('/gone-down');
    assert.equal(`${r.status} ${r.text}`, '404 first');
  });

  test('interim 102 and 103 responses are neither the final response nor part of what is stored', async () => {
    script.set('/interim', (n) => ({
      interim: [
        { status: 102 },
        { status: 103, headers: { link: '</styles.css>; rel=preload; as=style', 'x-my-header': 'test' } },
      ],
      headers: { 'cache-control': 'max-age=100000', date: httpDate() },
      body: `final-${n}`,
    }));
    const first = await te.get('/interim');
    assert.equal(`${first.status} ${first.text}`, '200 final-1');
    assert.equal(first.header('x-my-header'), undefined);
    const second = await te.get('/interim');
    assert.equal(`${second.status} ${second.text} ${second.header('x-cache')}`, `200 final-1 ${HIT}`);
    assert.equal(second.header('x-my-header'), undefined);
    assert.equal(second.header('link'), undefined);
    assert.equal(origin.count('/interim'), 1);
  });

  test('interim responses reach an HTTP/1.1 viewer ahead of the final one, never an HTTP/1.0 one nor a hit (RFC 9110 15.2)', async () => {
    script.set('/hints', (n) => ({
      interim: [
        { status: 102 },
        { status: 103, headers: { link: '</styles.css>; rel=preload; as=style', 'x-my-header': 'test' } },
      ],
      headers: { 'cache-control': 'max-age=100000', date: httpDate() },
      body: `final-${n}`,
    }));
    const miss = await rawGet(te.url, '/hints', '1.1');
    const at103 = miss.indexOf('HTTP/1.1 103 Early Hints\r\n');
    const at200 = miss.indexOf('HTTP/1.1 200 ');
    assert.ok(miss.startsWith('HTTP/1.1 102 Processing\r\n\r\n'), miss);
    assert.ok(at103 > 0 && at103 < at200, miss);
    const hints = miss.slice(at103, at200);
    assert.match(hints, /\r\nLink: <\/styles\.css>; rel=preload; as=style\r\n/i);
    assert.match(hints, /\r\nx-my-header: test\r\n/i);
    assert.doesNotMatch(miss.slice(at200), /x-my-header/i);
    assert.ok(miss.endsWith('final-1'), miss);
    const hit = await rawGet(te.url, '/hints', '1.1');
    assert.ok(hit.startsWith('HTTP/1.1 200 '), hit);
    assert.ok(hit.endsWith('final-1'), hit);
    script.set('/hints-old', () => ({
      interim: [{ status: 103, headers: { link: '</a.css>; rel=preload' } }],
      headers: { 'cache-control': 'no-store' },
      body: 'final',
    }));
    const old = await rawGet(te.url, '/hints-old', '1.0');
    assert.ok(old.startsWith('HTTP/1.1 200 '), old);
  });
});

/** A GET over a raw socket (every byte the edge sent, interim responses included), closed after. */
async function rawGet(url: string, path: string, version: '1.0' | '1.1'): Promise<string> {
  const { port } = new URL(url);
  const sock = net.connect(Number(port), '127.0.0.1');
  const chunks: Buffer[] = [];
  sock.on('data', (c: Buffer) => chunks.push(c));
  sock.write(`GET ${path} HTTP/${version}\r\nHost: test.local\r\nConnection: close\r\n\r\n`);
  await once(sock, 'end');
  sock.destroy();
  return Buffer.concat(chunks).toString('latin1');
}

/**
 * @module test/scenarios/contain-egress.test
 * Functions reach only public addresses unless their egress allow-list says otherwise (issue 9),
 * tried as an attacker would through a real PoP, from JavaScript (`fetch`, `http`) and Python
 * (`urllib`): loopback in every spelling the URL parser or the resolver accepts (decimal, hex,
 * octal, short form, IPv4-mapped IPv6, the unspecified address, `localhost`, `::1`), a redirect
 * from an allowed origin to one that is not, and the PoP's own admin listener (which emptied the
 * cache of every distribution before: `POST /invalidations`) even for a function that allows
 * loopback. The tests run on loopback, so each refused call is shown to succeed with an explicit
 * allow of the same origin. Meanwhile a function-free path keeps answering.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { baseline, describeHealth, latencyBound, pollHealth } from '../harness/health.js';
import { pythonSkipReason } from './python-kit.js';

const pythonSkip = pythonSkipReason();

/** Tries `?u=URL` with `?via=fetch|http`, `?m=METHOD`, `?body=...`; answers with what happened. */
const ATTACK_JS = `
exports.handler = async (event) => {
  const q = new URLSearchParams(event.Records[0].cf.request.querystring);
  const target = q.get('u');
  const method = q.get('m') || 'GET';
  const body = q.get('body') || undefined;
  let out;
  try {
    if (q.get('via') === 'http') {
      out = await new Promise((resolve) => {
        const r = require('http').request(target, { method, headers: { 'content-type': 'application/json' } }, (res) => {
          let b = '';
          res.on('data', (d) => { b += d; });
          res.on('end', () => resolve({ status: res.statusCode, body: b }));
        });
        r.on('error', (e) => resolve({ error: e.code, message: e.message }));
        r.end(body);
      });
    } else {
      const res = await fetch(target, { method, body, headers: { 'content-type': 'application/json' } });
      out = { status: res.status, body: await res.text() };
    }
  } catch (e) {
    out = { error: (e.cause && e.cause.code) || e.code, message: (e.cause && e.cause.message) || e.message };
  }
  return { status: '200', headers: { 'content-type': [{ value: 'application/json' }] }, body: JSON.stringify(out) };
};
`;

const ATTACK_PY = `
import json, urllib.error, urllib.parse, urllib.request

def handler(event, context):
    q = urllib.parse.parse_qs(event["Records"][0]["cf"]["request"]["querystring"])
    target = q["u"][0]
    data = q["body"][0].encode() if "body" in q else None
    req = urllib.request.Request(target, data=data, method=q.get("m", ["GET"])[0])
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            out = {"status": r.status, "body": r.read().decode()}
    except urllib.error.HTTPError as e:
        out = {"status": e.code}
    except urllib.error.URLError as e:
        out = {"error": "URLError", "message": str(e.reason)}
    return {"status": "200", "body": json.dumps(out)}
`;

interface Outcome {
  status?: number;
  body?: string;
  error?: string;
  message?: string;
}

describe('egress policy: functions reach public addresses only, unless allowed', () => {
  let origin: ScriptedOrigin;
  let other: Server;
  let otherHits = 0;
  let te: TestEdge;
  let adminPort = 0;

  before(async () => {
    origin = await startOrigin({
      '/plain': { status: 200, headers: { 'cache-control': 'max-age=600' }, body: 'plain' },
      '/secret': { status: 200, body: 'secret' },
    });
    other = createServer((_req, res) => {
      otherHits++;
      res.end('other secret');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const otherPort = (other.address() as AddressInfo).port;
    origin.route('/hop', { status: 302, headers: { location: `http://127.0.0.1:${otherPort}/secret` } });
    const fn = (path: string, allow?: string[]) => ({
      path,
      ...(allow ? { egress: { allow } } : {}),
    });
    const vr = (f: object) => [{ eventType: 'viewer-request', function: f }];
    const behaviors = [
      { pathPattern: '/js/*', targetOriginId: 'o1', functionAssociations: vr(fn('functions/attack.js')) },
      // The same code, allowed to reach the test origin's port only.
      {
        pathPattern: '/js-origin/*',
        targetOriginId: 'o1',
        functionAssociations: vr(fn('functions/attack.js', [`127.0.0.1:${origin.port}`])),
      },
      // Allowed all of loopback: the PoP's own ports stay out of reach.
      {
        pathPattern: '/js-loopback/*',
        targetOriginId: 'o1',
        functionAssociations: vr(fn('functions/attack.js', ['127.0.0.0/8', 'localhost'])),
      },
    ];
    if (!pythonSkip)
      behaviors.push(
        { pathPattern: '/py/*', targetOriginId: 'o1', functionAssociations: vr(fn('functions/attack.py')) },
        {
          pathPattern: '/py-origin/*',
          targetOriginId: 'o1',
          functionAssociations: vr(fn('functions/attack.py', [`127.0.0.1:${origin.port}`])),
        },
        {
          pathPattern: '/py-loopback/*',
          targetOriginId: 'o1',
          functionAssociations: vr(fn('functions/attack.py', ['127.0.0.0/8'])),
        },
      );
    te = await startTestEdge({
      configs: [distribution(origin.port, { cacheBehaviors: behaviors })],
      files: { 'functions/attack.js': ATTACK_JS, 'functions/attack.py': ATTACK_PY },
      adminPort: 0,
    });
    adminPort = Number(new URL(te.edge.adminUrl!).port);
  });
  after(async () => {
    await te?.close();
    await origin?.close();
    await new Promise((r) => other?.close(r));
  });

  async function attempt(prefix: string, target: string, extra = ''): Promise<Outcome> {
    const r = await te.get(`/${prefix}/x?u=${encodeURIComponent(target)}${extra}`);
    assert.equal(r.status, 200, r.text);
    return JSON.parse(r.text) as Outcome;
  }

  function assertDenied(o: Outcome, what: string, reason: RegExp): void {
    assert.ok(o.error !== undefined && o.status === undefined, `${what} must fail: ${JSON.stringify(o)}`);
    assert.match(o.message ?? '', /denied by the egress policy/, `${what}: ${JSON.stringify(o)}`);
    assert.match(o.message ?? '', reason, `${what}: ${JSON.stringify(o)}`);
  }

  const loopbackSpellings = (port: number): Array<[string, RegExp]> => [
    [`http://127.0.0.1:${port}/secret`, /loopback/],
    [`http://2130706433:${port}/secret`, /loopback/],
    [`http://0x7f.1:${port}/secret`, /loopback/],
    [`http://0177.0.0.1:${port}/secret`, /loopback/],
    [`http://127.1:${port}/secret`, /loopback/],
    [`http://[::ffff:127.0.0.1]:${port}/secret`, /IPv4-mapped/],
    [`http://0.0.0.0:${port}/secret`, /unspecified/],
    [`http://localhost:${port}/secret`, /loopback/],
    [`http://[::1]:${port}/secret`, /loopback/],
  ];

  for (const lang of ['js', 'py'] as const) {
    const skip = lang === 'py' ? pythonSkip : false;
    const label = lang === 'js' ? 'JavaScript fetch/http' : 'Python urllib';

    test(`${label}: loopback in every spelling is refused, and logged with the reason`, { skip }, async () => {
      const before = origin.count('/secret');
      for (const [target, reason] of loopbackSpellings(origin.port)) {
        assertDenied(await attempt(lang, target), target, reason);
        if (lang === 'js') assertDenied(await attempt(lang, target, '&via=http'), `http.request ${target}`, reason);
      }
      assert.equal(origin.count('/secret'), before, 'no refused call reached the origin');
      const logged = te.logs.lines.filter((l) => l.type === 'function-log' && /^Egress denied: /.test(String(l.msg)));
      assert.ok(
        logged.some(
          (l) => String(l.msg).includes(`http://127.0.0.1:${origin.port}/secret`) && /loopback/.test(String(l.msg)),
        ),
        JSON.stringify(logged.slice(0, 3)),
      );
    });

    test(`${label}: the same call succeeds once egress.allow lists the origin`, { skip }, async () => {
      const before = origin.count('/secret');
      const o = await attempt(`${lang}-origin`, `http://127.0.0.1:${origin.port}/secret`);
      assert.deepEqual(o, { status: 200, body: 'secret' });
      assert.equal(origin.count('/secret'), before + 1);
      // An allow-list names a port: the same address on another port stays refused.
      assertDenied(
        await attempt(`${lang}-origin`, `http://127.0.0.1:${adminPort}/health`),
        'another port',
        /port|loopback/,
      );
    });

    test(`${label}: a redirect from an allowed origin to a refused address fails at that hop`, { skip }, async () => {
      const before = otherHits;
      assertDenied(await attempt(`${lang}-origin`, `http://127.0.0.1:${origin.port}/hop`), 'redirect hop', /loopback/);
      assert.equal(otherHits, before, 'the redirect target was never contacted');
    });

    test(
      `${label}: the PoP's admin port is refused even when loopback is allowed; the cache survives`,
      { skip },
      async () => {
        assert.equal((await te.get('/plain')).status, 200);
        const hit = await te.get('/plain');
        assert.match(hit.header('x-cache') ?? '', /^Hit/);
        const invalidate = await attempt(
          `${lang}-loopback`,
          `http://127.0.0.1:${adminPort}/invalidations`,
          `&m=POST&body=${encodeURIComponent(JSON.stringify({ paths: ['/*'] }))}`,
        );
        assertDenied(invalidate, 'POST /invalidations', new RegExp(`port ${adminPort} of this PoP`));
        const config = await attempt(`${lang}-loopback`, `http://localhost:${adminPort}/config`);
        assertDenied(config, 'GET /config', /of this PoP/);
        const viewer = await attempt(`${lang}-loopback`, `${te.url}/plain`);
        assertDenied(viewer, 'its own viewer port', /of this PoP/);
        assert.match((await te.get('/plain')).header('x-cache') ?? '', /^Hit/, 'the cache was not emptied');
        // Loopback itself is allowed to this function: the origin answers.
        assert.deepEqual(await attempt(`${lang}-loopback`, `http://127.0.0.1:${origin.port}/secret`), {
          status: 200,
          body: 'secret',
        });
      },
    );
  }

  test('a function-free path keeps answering while functions probe the PoP', async () => {
    const base = await baseline(te.url + '/plain', 'test.local', 800);
    const poll = pollHealth(te.url + '/plain', 'test.local');
    for (let i = 0; i < 20; i++)
      await attempt(
        'js',
        `http://127.0.0.1:${adminPort}/invalidations`,
        '&m=POST&body=%7B%22paths%22%3A%5B%22%2F*%22%5D%7D',
      );
    const h = await poll.stop();
    assert.deepEqual(h.errors, [], describeHealth(h));
    assert.ok(h.p99 <= latencyBound(base), `under attack: ${describeHealth(h)}; baseline ${describeHealth(base)}`);
  });
});

/**
 * @module test/scenarios/edge-observe-logs
 * Observability: one JSON access-log line per request with CloudFront's standard-log fields
 * (spec 5.2, 7.10), Prometheus `/metrics` and `/healthz` on the admin port, and `reload()`: an
 * invalid config on disk is refused with every problem listed while the old config keeps serving,
 * and a valid one goes live.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { FakeClock } from '../../src/shared/clock.js';
import { isVergeError } from '../../src/shared/errors.js';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';
import { rawRequest } from '../harness/raw.js';

let origin: ScriptedOrigin;
let te: TestEdge;
const clock = new FakeClock();

before(async () => {
  origin = await startOrigin({
    // The origin "takes" 250 ms of fake time, so time-taken is exact without measuring real time.
    '/slow': () => {
      clock.advance(250);
      return { headers: { 'cache-control': 'max-age=60', 'content-type': 'text/plain' }, body: 'slow body' };
    },
    '*': (req) => ({
      headers: { 'cache-control': 'max-age=60', 'content-type': 'text/plain' },
      body: `body ${req.path}`,
    }),
    '/gone': { status: 404, body: 'gone' },
  });
  te = await startTestEdge({
    clock,
    popId: 'OBS1-C1',
    region: 'eu-test',
    adminPort: 0,
    configs: [distribution(origin.port)],
  });
});

after(async () => {
  await te.close();
  await origin.close();
});

/** Wait (bounded) until the batched access log holds at least `n` lines. */
async function logLines(n: number): Promise<Record<string, unknown>[]> {
  for (let i = 0; i < 100; i++) {
    const lines = te.accessLog;
    if (lines.length >= n) return lines;
    await new Promise((r) => setTimeout(r, 20));
  }
  return te.accessLog;
}

async function admin(path: string): Promise<{ status: number; text: string; type: string }> {
  const r = await request(te.edge.adminUrl! + path, { headers: { authorization: `Bearer ${te.edge.adminToken}` } });
  return { status: r.statusCode, text: await r.body.text(), type: String(r.headers['content-type']) };
}

describe('access log (one JSON line per request)', () => {
  test('miss, hit, origin error, unknown host and 414 each write one line with CloudFront fields', async () => {
    const before = te.accessLog.length;
    const miss = await te.get('/slow?a=1', {
      headers: { referer: 'https://ref.example/', 'user-agent': 'obs-test/1' },
    });
    const hit = await te.get('/slow?a=1');
    const gone = await te.get('/gone');
    const unknown = await te.get('/x', { host: 'nobody.local' });
    const long = await rawRequest(
      te.url,
      `GET /${'l'.repeat(9000)} HTTP/1.1\r\nHost: test.local\r\nConnection: close\r\n\r\n`,
    );
    const lines = (await logLines(before + 5)).slice(before);
    assert.equal(lines.length, 5, 'one line per request');
    const [lm, lh, lg, lu, ll] = lines as Array<Record<string, unknown>>;

    assert.equal(lm!['x-edge-request-id'], miss.header('x-verge-request-id'));
    assert.equal(lm!['x-edge-result-type'], 'Miss');
    assert.equal(lm!['x-edge-response-result-type'], 'Miss');
    assert.equal(lm!['x-edge-detailed-result-type'], 'Miss');
    assert.equal(lm!['sc-status'], 200);
    assert.equal(lm!['c-ip'], '127.0.0.1');
    assert.equal(lm!['cs-method'], 'GET');
    assert.equal(lm!['cs-uri-stem'], '/slow');
    assert.equal(lm!['cs-uri-query'], 'a=1');
    assert.equal(lm!['x-host-header'], 'test.local');
    assert.equal(lm!['x-edge-location'], 'OBS1-C1');
    assert.equal(lm!['cs(Referer)'], 'https://ref.example/');
    assert.equal(lm!['cs(User-Agent)'], 'obs-test/1');
    assert.equal(lm!['sc-bytes'], 'slow body'.length);
    assert.equal(lm!['cs-protocol'], 'http');
    assert.equal(lm!['cs-protocol-version'], 'HTTP/1.1');
    assert.equal(lm!['time-taken'], 0.25);
    assert.equal(lm!['date'], new Date(clock.now()).toISOString().slice(0, 10));

    assert.equal(lh!['x-edge-request-id'], hit.header('x-verge-request-id'));
    assert.equal(lh!['x-edge-result-type'], 'Hit');
    assert.equal(lh!['time-taken'], 0);

    assert.equal(lg!['x-edge-request-id'], gone.header('x-verge-request-id'));
    assert.equal(lg!['sc-status'], 404);
    assert.equal(lg!['x-edge-result-type'], 'Error');

    assert.equal(lu!['x-edge-request-id'], unknown.header('x-verge-request-id'));
    assert.equal(lu!['sc-status'], 403);
    assert.equal(lu!['x-edge-result-type'], 'Error');
    assert.equal(lu!['x-host-header'], 'nobody.local');

    assert.equal(ll!['x-edge-request-id'], long.headers['x-verge-request-id']);
    assert.equal(ll!['sc-status'], 414);
    assert.equal(ll!['x-edge-result-type'], 'Error');

    const ids = new Set(lines.map((l) => l['x-edge-request-id']));
    assert.equal(ids.size, 5, 'request ids are unique');
  });
});

test('a request the parser refuses is logged too, under the id the viewer got', async () => {
  const before = te.accessLog.length;
  const r = await rawRequest(te.url, 'GET /x HTTP/1.1\r\nHost: test.local\r\nX-A: one\rtwo\r\n\r\n');
  assert.equal(r.status, 400);
  const lines = (await logLines(before + 1)).slice(before);
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!['x-edge-request-id'], r.headers['x-verge-request-id']);
  assert.equal(lines[0]!['sc-status'], 400);
  assert.equal(lines[0]!['x-edge-result-type'], 'Error');
  assert.equal(lines[0]!['x-edge-detailed-result-type'], 'InvalidRequest');
  assert.equal(lines[0]!['c-ip'], '127.0.0.1');
});

describe('admin port', () => {
  test('/healthz answers ok with the PoP and the plan', async () => {
    const r = await admin('/healthz');
    assert.equal(r.status, 200);
    const body = JSON.parse(r.text) as Record<string, unknown>;
    assert.equal(body.status, 'ok');
    assert.equal(body.pop, 'OBS1-C1');
    assert.equal(body.distributions, 1);
  });

  test('/metrics counts requests per distribution in Prometheus text', async () => {
    const value = (text: string, labels: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`verge_requests_total{`) && l.includes(labels));
      return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
    };
    const before = await admin('/metrics');
    assert.equal(before.status, 200);
    assert.match(before.type, /^text\/plain/);
    assert.match(before.text, /# TYPE verge_requests_total counter/);
    const hits0 = value(before.text, 'distribution="test",result="Hit",status="2xx"');
    await te.get('/metrics-obj');
    await te.get('/metrics-obj');
    await te.get('/metrics-obj');
    const afterText = (await admin('/metrics')).text;
    assert.equal(value(afterText, 'distribution="test",result="Hit",status="2xx"'), hits0 + 2);
    assert.ok(value(afterText, 'distribution="test",result="Miss",status="2xx"') >= 1);
    assert.ok(value(afterText, 'distribution="-",result="Error",status="4xx"') >= 1, 'the unknown-host 403 is counted');
    assert.match(afterText, /^verge_cache_entries \d+$/m);
  });
});

describe('reload', () => {
  test('an invalid config on disk is refused with every problem, and the old config keeps serving', async () => {
    const path = join(te.dir, 'dist-0.json');
    writeFileSync(
      path,
      JSON.stringify({
        ...distribution(origin.port),
        cacheBehaviors: [{ pathPattern: '/bad/#', targetOriginId: 'nope' }],
        enabeld: true,
      }),
    );
    const err = await te.edge.reload().then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(isVergeError(err), String(err));
    assert.equal(err.code, 'CONFIG_INVALID');
    const problems = (err.details as { problems: Array<{ path: string }> }).problems;
    const paths = problems.map((p) => p.path).sort();
    assert.ok(paths.includes('$.enabeld'), paths.join(' '));
    assert.ok(paths.includes('$.cacheBehaviors[0].pathPattern'), paths.join(' '));
    assert.ok(paths.includes('$.cacheBehaviors[0].targetOriginId'), paths.join(' '));
    assert.ok(err.message.includes('enabeld') && err.message.includes('pathPattern'));
    const r = await te.get('/after-bad-reload');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'body /after-bad-reload');
  });

  test('a config that is not JSON is refused with its line and column', async () => {
    const path = join(te.dir, 'dist-0.json');
    writeFileSync(path, '{\n  "id": "test",\n  "aliases": ["test.local"\n}\n');
    const err = await te.edge.reload().then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(isVergeError(err), String(err));
    assert.equal(err.code, 'CONFIG_UNREADABLE');
    assert.match(err.message, /dist-0\.json:\d+:\d+/);
    assert.equal((await te.get('/after-json-error')).status, 200);
  });

  test('a valid config on disk goes live on reload', async () => {
    const version0 = JSON.parse((await admin('/config')).text).version;
    const path = join(te.dir, 'dist-0.json');
    writeFileSync(path, JSON.stringify(distribution(origin.port, { aliases: ['test.local', 'new.local'] })));
    assert.equal((await te.get('/x', { host: 'new.local' })).status, 403);
    await te.edge.reload();
    const r = await te.get('/reloaded', { host: 'new.local' });
    assert.equal(r.status, 200);
    assert.equal(r.text, 'body /reloaded');
    const config = JSON.parse((await admin('/config')).text) as {
      version: unknown;
      distributions: Array<{ aliases: string[] }>;
    };
    assert.notEqual(config.version, version0);
    assert.deepEqual(config.distributions[0]!.aliases, ['test.local', 'new.local']);
  });
});

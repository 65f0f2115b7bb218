/**
 * @module runtime/host/cff.test
 * CloudFront Functions through the FunctionRuntime (spec 8): the event shape and its adaptation
 * back, generated responses, the KeyValueStore, origin helpers, the language restrictions
 * (no eval, no timers, frozen Date), the 10 KB limit, runaway code, and the compute-budget
 * throttle on a fake clock.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../shared/clock.js';
import { createFunctionRuntime } from './index.js';
import { sampleEvent } from './test-events.js';
import type {
  CfRequest,
  CfResponse,
  EventType,
  FunctionSource,
  InvokeResult,
  LoadedFunction,
} from '../../shared/lambda-edge/index.js';

const clock = new FakeClock(Date.UTC(2026, 4, 1, 12, 0, 0));
const rt = createFunctionRuntime({ clock });
// CPU time per invocation depends on the machine; the throttling rule is checked on numbers set
// here (ns per invocation, by function id), with the isolate's own measurement checked apart.
const scriptedCpu = new Map<string, bigint>();
const metered = createFunctionRuntime({
  clock,
  cpuMeter: (measured, source) => scriptedCpu.get(source.id) ?? measured,
});
after(() => Promise.all([rt.close(), metered.close()]));

let seq = 0;
async function load(
  code: string,
  extra: Partial<FunctionSource> = {},
  eventTypes: EventType[] = ['viewer-request'],
  on = rt,
): Promise<LoadedFunction> {
  seq++;
  return on.load(
    {
      id: `c${seq}`,
      name: `cff${seq}`,
      version: '1',
      runtime: 'cloudfront-js-2.0',
      handler: '',
      code: { files: { 'index.js': code } },
      ...extra,
    },
    { eventTypes },
  );
}
const invoke = (
  fn: LoadedFunction,
  eventType: EventType = 'viewer-request',
  patch?: Parameters<typeof sampleEvent>[1],
  on = rt,
) => on.invoke(fn, { eventType, event: sampleEvent(eventType, patch) });
function ok(r: InvokeResult): CfRequest & CfResponse {
  assert.equal(r.ok, true, r.ok ? '' : `${r.code}: ${r.message}`);
  return (r.ok ? r.value : {}) as CfRequest & CfResponse;
}

describe('CloudFront Functions', () => {
  test('the event has the CloudFront Functions shape (spec 8.2)', async () => {
    const fn = await load(`function handler(event) { console.log(JSON.stringify(event)); return event.request; }`);
    const r = await invoke(fn);
    ok(r);
    const e = JSON.parse(r.logs[0]!.message);
    assert.equal(e.version, '1.0');
    assert.deepEqual(e.context, {
      distributionDomainName: 'd3exmpl7k2zq9.cloudfront.net',
      distributionId: 'E1ABCDEXAMPLE2',
      eventType: 'viewer-request',
      requestId: sampleEvent('viewer-request').Records[0].cf.config.requestId,
    });
    assert.deepEqual(e.viewer, { ip: '198.51.100.23' });
    assert.deepEqual(e.request.querystring, {
      lang: { value: 'en' },
      tag: { value: 'red', multiValue: [{ value: 'red' }, { value: 'blue' }] },
    });
    assert.deepEqual(e.request.cookies, { sid: { value: 'abc123' }, theme: { value: 'dark' }, ab: { value: 'B' } });
    assert.deepEqual(e.request.headers.host, { value: 'www.example.net' });
    assert.equal(e.request.headers.cookie, undefined);
  });

  test('returning the request unchanged keeps the original query string and cookies', async () => {
    const r = ok(await invoke(await load(`function handler(event) { return event.request; }`)));
    const input = sampleEvent('viewer-request').Records[0].cf.request;
    assert.equal(r.querystring, input.querystring);
    assert.deepEqual(
      r.headers.cookie!.map((c) => c.value),
      ['sid=abc123; theme=dark', 'ab=B'],
    );
  });

  test('header, query string (object or string) and uri changes come back in L@E shape', async () => {
    const fn = await load(`function handler(event) {
      var r = event.request; r.uri = '/new' + r.uri; r.headers['x-added'] = { value: 'yes' };
      r.querystring.lang = { value: 'de' }; delete r.querystring.tag; return r; }`);
    const r = ok(await invoke(fn));
    assert.equal(r.uri, '/new/index.html');
    assert.deepEqual(r.headers['x-added'], [{ key: 'X-Added', value: 'yes' }]);
    assert.equal(r.querystring, 'lang=de');
    const s = ok(
      await invoke(
        await load(`function handler(event) { event.request.querystring = 'a=1&b=2'; return event.request; }`),
      ),
    );
    assert.equal(s.querystring, 'a=1&b=2');
  });

  test('rawQueryString() returns the unparsed query string', async () => {
    const r = ok(
      await invoke(
        await load(
          `function handler(event) { return { statusCode: 200, body: String(event.request.rawQueryString()) }; }`,
        ),
      ),
    );
    assert.equal(r.body, 'lang=en&tag=red&tag=blue');
  });

  test('a generated response (statusCode integer, cookies → Set-Cookie)', async () => {
    const fn = await load(`function handler(event) { return { statusCode: 302, statusDescription: 'Found',
      headers: { location: { value: 'https://example.net/de/' } }, cookies: { lang: { value: 'de', attributes: 'Path=/; Secure' } } }; }`);
    const r = await invoke(fn);
    assert.ok(r.ok && r.kind === 'response');
    const res = r.value as CfResponse;
    assert.equal(res.status, '302');
    assert.deepEqual(res.headers.location, [{ key: 'Location', value: 'https://example.net/de/' }]);
    assert.deepEqual(res.headers['set-cookie'], [{ key: 'Set-Cookie', value: 'lang=de; Path=/; Secure' }]);
  });

  test('viewer-response: the response shape, header changes, body object', async () => {
    const fn = await load(
      `function handler(event) { var res = event.response; res.headers['x-sid'] = { value: res.cookies.sid.value + '|' + res.cookies.sid.attributes };
       res.body = { encoding: 'text', data: 'replaced' }; return res; }`,
      {},
      ['viewer-response'],
    );
    const r = ok(await invoke(fn, 'viewer-response'));
    assert.equal(r.headers['x-sid']![0]!.value, 'abc123|Secure; HttpOnly; Path=/');
    assert.deepEqual(
      r.headers['set-cookie']!.map((h) => h.value),
      ['sid=abc123; Secure; HttpOnly; Path=/'],
    );
    assert.equal(r.body, 'replaced');
  });

  test('KeyValueStore: get (string/json), missing keys reject, exists, meta', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'verge-kvs-'));
    after(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'kvs.json');
    await writeFile(
      path,
      JSON.stringify({
        data: [
          { key: '/old', value: '/new' },
          { key: 'cfg', value: '{"n":3}' },
        ],
      }),
    );
    const fn = await load(
      `import cf from 'cloudfront';
       const kvs = cf.kvs();
       async function handler(event) {
         const target = await kvs.get(event.request.uri);
         const cfg = await kvs.get('cfg', { format: 'json' });
         let missing = 'resolved';
         try { await kvs.get('/nope'); } catch (e) { missing = 'rejected'; }
         const meta = await kvs.meta();
         return { statusCode: 200, body: [target, cfg.n, missing, await kvs.exists('/old'), await kvs.exists('/nope'), meta.keyCount].join(',') };
       }`,
      { kvs: { id: 'store1', path } },
    );
    const r = ok(await invoke(fn, 'viewer-request', { request: { uri: '/old' } }));
    assert.equal(r.body, '/new,3,rejected,true,false,2');
  });

  test('origin helpers are recorded in originOverride', async () => {
    const fn = await load(`import cf from 'cloudfront';
      function handler(event) { cf.updateRequestOrigin({ domainName: 'eu.example.net', originPath: '/v2' }); cf.updateRequestOrigin({ customHeaders: { 'x-k': 'v' } }); return event.request; }`);
    const r = await invoke(fn);
    assert.ok(r.ok);
    assert.deepEqual(r.ok && r.originOverride, {
      domainName: 'eu.example.net',
      originPath: '/v2',
      customHeaders: { 'x-k': 'v' },
    });
    const g = await invoke(
      await load(
        `import cf from 'cloudfront'; function handler(e) { cf.createRequestOriginGroup({ originIds: ['a', 'b'], failoverCriteria: { statusCodes: [500, 503] } }); return e.request; }`,
      ),
    );
    assert.deepEqual(g.ok && g.originOverride, {
      originGroup: { originIds: ['a', 'b'], failoverStatusCodes: [500, 503] },
    });
    const sel = await load(
      `import cf from 'cloudfront'; function handler(e) { cf.selectRequestOriginById(e.request.uri.slice(1)); return e.request; }`,
    );
    const pick = (uri: string) =>
      rt.invoke(sel, {
        eventType: 'viewer-request',
        event: sampleEvent('viewer-request', { request: { uri } }),
        originIds: ['eu', 'us'],
      });
    const picked = await pick('/eu');
    assert.deepEqual(picked.ok && picked.originOverride, { originId: 'eu' });
    const unknown = await pick('/mars');
    assert.ok(
      !unknown.ok && unknown.code === 'FUNCTION_EXECUTION_ERROR' && /No origin with id 'mars'/.test(unknown.message),
    );
  });

  test('no eval, no Function constructor, no timers; Date frozen at the clock', async () => {
    const probe = `function handler(event) {
      var out = [];
      try { eval('1'); out.push('eval ran'); } catch (e) { out.push(e.name); }
      try { (function(){}).constructor('return 1')(); out.push('ctor ran'); } catch (e) { out.push(e.name); }
      out.push(typeof setTimeout, typeof process, Date.now(), new Date().getTime(), (function(){}) instanceof Function);
      return { statusCode: 200, body: out.join(',') }; }`;
    const r = ok(await invoke(await load(probe)));
    assert.equal(r.body, `EvalError,EvalError,undefined,undefined,${clock.now()},${clock.now()},true`);
  });

  test('errors: a throw is FUNCTION_EXECUTION_ERROR, a bad result FUNCTION_VALIDATION_ERROR', async () => {
    const t = await invoke(await load(`function handler(event) { throw new Error('cff boom'); }`));
    assert.ok(!t.ok && t.code === 'FUNCTION_EXECUTION_ERROR' && /^Error: cff boom/.test(t.message));
    const v = await invoke(
      await load(
        `function handler(event) { event.request.headers['X-Upper'] = { value: 'v' }; return event.request; }`,
      ),
    );
    assert.ok(!v.ok && v.code === 'FUNCTION_VALIDATION_ERROR', JSON.stringify(v));
    assert.match(!v.ok ? v.message : '', /^The CloudFront function result failed validation: .*X-Upper/);
    const n = await invoke(await load(`function handler(event) { return null; }`));
    assert.ok(
      !n.ok && n.message === 'The CloudFront function returned invalid JSON: The JSON output must be an object type.',
    );
  });

  test('load rules: 10 KB of code, a top-level handler, viewer events only, python rejected', async () => {
    await assert.rejects(
      load(`function handler(e) { return e.request; }\n//${'x'.repeat(10 * 1024)}`),
      /larger than the maximum allowed size for CloudFront Functions: \d+ Max allowed: 10240/,
    );
    await assert.rejects(load(`function notHandler(e) { return e.request; }`), /top-level function named handler/);
    await assert.rejects(
      load(`function handler(e) { return e.request; }`, {}, ['origin-request']),
      /viewer events only/,
    );
  });

  test('crypto and querystring modules; nothing else', async () => {
    const code = (imp: string) => `${imp}
      function handler(event) { var h = crypto.createHash('sha256').update('verge').digest('hex');
        var blocked; try { require('fs'); blocked = 'loaded'; } catch (e) { blocked = e.message; }
        return { statusCode: 200, body: h + '|' + blocked }; }`;
    const expected = createHash('sha256').update('verge').digest('hex');
    for (const [runtime, imp] of [
      ['cloudfront-js-2.0', "import crypto from 'crypto';"],
      ['cloudfront-js-1.0', "var crypto = require('crypto');"],
    ] as const) {
      const r = ok(await invoke(await load(code(imp), { runtime })));
      const [hash, blocked] = r.body!.split('|');
      assert.equal(hash, expected, runtime);
      assert.match(blocked!, /^Cannot find module 'fs': it is not available in Verge functions \(allowed: /);
    }
  });

  test('cloudfront-js-1.0 runs', async () => {
    const r = ok(
      await invoke(
        await load(
          `function handler(event) { var r = event.request; r.headers['x-v'] = { value: '1.0' }; return r; }`,
          { runtime: 'cloudfront-js-1.0' },
        ),
      ),
    );
    assert.equal(r.headers['x-v']![0]!.value, '1.0');
  });

  test('a runaway loop is stopped at the hard limit and the next run succeeds', async () => {
    const fn = await load(
      `function handler(event) { if (event.request.uri === '/evil') { while (true) {} } return event.request; }`,
    );
    const r = await invoke(fn, 'viewer-request', { request: { uri: '/evil' } });
    assert.ok(
      !r.ok && r.code === 'FUNCTION_EXECUTION_ERROR' && /maximum execution time of 1000 ms/.test(r.message),
      JSON.stringify(r),
    );
    ok(await invoke(fn));
  });

  const BUSY = `function handler(event) { var x = 0; for (var i = 0; i < 2e6; i++) { x = (x + i * 7) % 1000003; } event.request.headers['x-x'] = { value: String(x) }; return event.request; }`;
  const CHEAP = `function handler(event) { return event.request; }`;

  test('compute utilization is the isolate-measured CPU time over the 1 ms budget', async () => {
    const busy = await load(BUSY);
    const cheap = await load(CHEAP);
    const b = await invoke(busy);
    const c = await invoke(cheap);
    assert.ok(b.ok && c.ok, `${JSON.stringify(b)} ${JSON.stringify(c)}`);
    // CPU time, not wall time: 2 million loop steps use far more of it than returning the request.
    assert.ok(
      b.computeUtilization! > c.computeUtilization!,
      `busy ${b.computeUtilization}% vs cheap ${c.computeUtilization}%`,
    );
  });

  test('sustained over-budget compute throttles (FUNCTION_THROTTLED) until the cool-down passes', async () => {
    const fn = await load(BUSY, {}, ['viewer-request'], metered);
    scriptedCpu.set(`c${seq}`, 2_000_000n); // 2 ms of CPU per run: 200 % of the budget
    const results: InvokeResult[] = [];
    for (let i = 0; i < 12; i++) results.push(await invoke(fn, 'viewer-request', undefined, metered));
    const summary = results.map((r) => (r.ok ? `ok:${r.computeUtilization}%` : r.code)).join(' ');
    assert.equal(summary, `${Array(10).fill('ok:200%').join(' ')} FUNCTION_THROTTLED FUNCTION_THROTTLED`);
    clock.advance(999);
    assert.equal((await invoke(fn, 'viewer-request', undefined, metered)).ok, false, 'still cooling down');
    clock.advance(1);
    assert.equal((await invoke(fn, 'viewer-request', undefined, metered)).ok, true, 'runs again after the cool-down');
  });

  test('a mean of exactly 100 % of the budget is not throttled; a cheap function never is', async () => {
    const atBudget = await load(BUSY, {}, ['viewer-request'], metered);
    scriptedCpu.set(`c${seq}`, 1_000_000n);
    const cheap = await load(CHEAP, {}, ['viewer-request'], metered);
    scriptedCpu.set(`c${seq}`, 100_000n);
    for (let i = 0; i < 25; i++) {
      const a = await invoke(atBudget, 'viewer-request', undefined, metered);
      const c = await invoke(cheap, 'viewer-request', undefined, metered);
      assert.ok(a.ok && a.computeUtilization === 100, `at-budget run ${i}: ${JSON.stringify(a)}`);
      assert.ok(c.ok && c.computeUtilization === 10, `cheap run ${i}: ${JSON.stringify(c)}`);
    }
  });
});

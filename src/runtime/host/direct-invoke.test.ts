/**
 * @module runtime/host/direct-invoke.test
 * The sync-capable invoke the edge uses: a warm function that completes inside the synchronous
 * crossing gives its result without a promise (the same result `invoke` gives), one that waits
 * on a timer gives a promise, the first completion still wins, a timeout is still enforced, and
 * an unloaded function has no direct invoke.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createFunctionRuntime } from './index.js';
import { directInvoke } from './direct-invoke.js';
import { sampleEvent } from './test-events.js';
import type { CfRequest, FunctionSource, InvokeResult } from '../../shared/lambda-edge/index.js';

const rt = createFunctionRuntime();
after(() => rt.close());

let seq = 0;
function load(code: string, overrides: FunctionSource['overrides'] = {}) {
  seq++;
  return rt.load(
    {
      id: `d${seq}`,
      name: `direct${seq}`,
      version: '1',
      runtime: 'nodejs',
      handler: 'index.handler',
      code: { files: { 'index.js': code } },
      overrides,
    },
    { eventTypes: ['viewer-request'] },
  );
}
const input = () => ({ eventType: 'viewer-request' as const, event: sampleEvent('viewer-request') });

test('a synchronous completion comes back without a promise, equal to what invoke gives', async () => {
  const fn = await load(`exports.handler = (event, context, callback) => {
    const r = event.Records[0].cf.request;
    r.headers['x-n'] = [{ key: 'X-N', value: String((globalThis.n = (globalThis.n || 0) + 1)) }];
    callback(null, r);
    callback(new Error('second completion'));
  };`);
  const direct = directInvoke(fn);
  assert.ok(direct, 'functions of this runtime have a direct invoke');
  const first = direct(input());
  assert.ok(!(first instanceof Promise), 'completed inside the crossing');
  const viaInvoke = await rt.invoke(fn, input());
  for (const [r, n] of [
    [first, '1'],
    [viaInvoke, '2'],
  ] as Array<[InvokeResult, string]>) {
    assert.equal(r.ok, true, r.ok ? '' : r.message);
    assert.deepEqual((r.ok && (r.value as CfRequest).headers['x-n']) || null, [{ key: 'X-N', value: n }]);
    assert.ok(r.logs.some((l) => /already been reported/.test(l.message)));
  }
});

test('a completion in a timer comes back as a promise; past the timeout it is an execution error', async () => {
  const fn = await load(
    `exports.handler = (event, context, callback) => {
      const ms = event.Records[0].cf.request.uri === '/late' ? 1000 : 5;
      setTimeout(() => callback(null, event.Records[0].cf.request), ms);
    };`,
    { timeoutMs: 150 },
  );
  const direct = directInvoke(fn)!;
  const soon = direct(input());
  assert.ok(soon instanceof Promise);
  assert.equal((await soon).ok, true);
  const late = sampleEvent('viewer-request', { request: { uri: '/late' } });
  const r = await direct({ eventType: 'viewer-request', event: late });
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.code === 'LAMBDA_EXECUTION_ERROR' && /Task timed out after 0\.15 seconds/.test(r.message));
});

test('an unloaded function has no direct invoke', async () => {
  const fn = await load(`exports.handler = async (event) => event.Records[0].cf.request;`);
  assert.ok(directInvoke(fn));
  await rt.unload(fn);
  assert.equal(directInvoke(fn), undefined);
});

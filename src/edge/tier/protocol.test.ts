// The tier protocol's parts a viewer could aim at: a target header that is not one a PoP wrote is
// refused with REQUEST_MALFORMED (the regional then answers 502 naming it and fetches nothing),
// and what a shared cache may keep, and for how long, follows Cache-Control.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OriginPlan } from '../config/plan.js';
import { decodeTarget, encodeTarget } from './protocol.js';
import { sharedTtlMs } from './regional-server.js';

const origin: OriginPlan = {
  id: 'o',
  kind: 'custom',
  domainName: 'origin.example',
  port: 443,
  protocol: 'https',
  originPath: '/v1',
  customHeaders: [['X-Secret', 'applied by the PoP, never sent in the target']],
  connectionAttempts: 3,
  connectionTimeoutMs: 10_000,
  readTimeoutMs: 30_000,
  keepaliveTimeoutMs: 5000,
};

test('a target round-trips without its custom headers (they are already in the request)', () => {
  assert.deepEqual(decodeTarget(encodeTarget(origin)), { ...origin, customHeaders: [] });
  assert.doesNotMatch(Buffer.from(encodeTarget(origin), 'base64url').toString(), /X-Secret/);
});

test('a target that is not one a PoP wrote is REQUEST_MALFORMED', () => {
  const wire = (o: Record<string, unknown>) =>
    Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(encodeTarget(origin), 'base64url').toString()), ...o })).toString('base64url'); // prettier-ignore
  for (const [bad, why] of [
    ['%%%', /base64url JSON/],
    [wire({ port: 0 }), /port/],
    [wire({ protocol: 'file' }), /protocol/],
    [wire({ domainName: 'a b/c' }), /domainName/],
    [wire({ originPath: 'no-slash' }), /originPath/],
    [wire({ readTimeoutMs: 10_000_000 }), /timeouts/],
  ] as const) {
    assert.throws(() => decodeTarget(bad), (e: Error & { code?: string }) => e.code === 'REQUEST_MALFORMED' && why.test(e.message)); // prettier-ignore
  }
});

test('what a shared cache may keep: s-maxage over max-age, less Age; never private, no-store or no-cache', () => {
  const h = (cc: string, age?: string) => ({
    'cache-control': [{ key: 'Cache-Control', value: cc }],
    ...(age ? { age: [{ key: 'Age', value: age }] } : {}),
  });
  assert.equal(sharedTtlMs(h('max-age=60')), 60_000);
  assert.equal(sharedTtlMs(h('max-age=60, s-maxage=10')), 10_000);
  assert.equal(sharedTtlMs(h('max-age=60', '50')), 10_000);
  assert.equal(sharedTtlMs(h('private, max-age=60')), 0);
  assert.equal(sharedTtlMs(h('no-store')), 0);
  assert.equal(sharedTtlMs(h('no-cache, max-age=60')), 0);
  assert.equal(sharedTtlMs({}), 0, 'no explicit lifetime: not stored');
});

/**
 * Canary arms (canary-arm.ts) on compiled plans: a canary entry rides on its event's plain
 * association; about its share of viewers run it, each viewer kept on one side (by its
 * `verge-viewer` cookie, else its address), and a viewer on the canary stays on it as the share
 * grows; the config rules (a canary needs a plain entry, 1-99%).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePlan } from '../config/compile.js';
import type { DistributionConfig, FunctionAssociationConfig } from '../../shared/config/types.js';
import { validateDistribution } from '../../shared/config/validate.js';
import { chooseArm, cookieValue } from './canary-arm.js';
import type { ViewerTxn } from './transaction.js';

const dist = (assocs: FunctionAssociationConfig[]): DistributionConfig => ({
  id: 'demo',
  origins: [{ id: 'o', domainName: '127.0.0.1', port: 9 }],
  defaultCacheBehavior: { targetOriginId: 'o', functionAssociations: assocs },
});
const canaryAt = (percent: number) =>
  dist([
    { eventType: 'viewer-request', function: { path: 'old.js', name: 'f', version: '1' } },
    {
      eventType: 'viewer-request',
      function: { path: 'new.js', name: 'f', version: '2' },
      canary: { id: 'c1', percent },
    },
  ]);
const hookOf = (d: DistributionConfig) =>
  compilePlan([{ config: d, baseDir: '/' }])
    .byId.get('demo')!
    .behaviors.at(-1)!.hooks['viewer-request']!;
const txn = (ip: string, cookie?: string) =>
  ({
    conn: { clientIp: ip },
    request: { headers: cookie ? { cookie: [{ key: 'Cookie', value: cookie }] } : {} },
  }) as unknown as ViewerTxn;

describe('canary arms', () => {
  test('the canary entry rides on the plain one; about its share of viewers run it, each on one side', () => {
    const hook = hookOf(canaryAt(30));
    assert.equal(hook.source.version, '1');
    assert.equal(hook.canary!.arm.source.version, '2');
    let onCanary = 0;
    for (let i = 0; i < 2000; i++) {
      const a = chooseArm(txn(`10.0.${i >> 8}.${i & 255}`), hook);
      if (a.canary!.arm === 'canary') onCanary++;
      assert.equal(a.assoc.source.version, a.canary!.arm === 'canary' ? '2' : '1');
      assert.equal(a.canary!.id, 'c1');
    }
    assert.ok(onCanary > 500 && onCanary < 700, `${onCanary} of 2000 on a 30% canary`);
  });

  test('the verge-viewer cookie names the viewer; without it the address does; a canary viewer stays on it as the share grows', () => {
    const at30 = hookOf(canaryAt(30));
    const at60 = hookOf(canaryAt(60));
    const viewers = Array.from({ length: 200 }, (_, i) => `u${i}`);
    const arm = (h: typeof at30, v: string, ip = '1.1.1.1') =>
      chooseArm(txn(ip, `a=b; verge-viewer=${v}`), h).canary!.arm;
    // One address, many cookies: the cookie decides.
    const split = new Set(viewers.map((v) => arm(at30, v)));
    assert.deepEqual([...split].sort(), ['baseline', 'canary']);
    for (const v of viewers) {
      assert.equal(arm(at30, v, '1.1.1.1'), arm(at30, v, '9.9.9.9'), `${v} keeps its side from another address`);
      if (arm(at30, v) === 'canary') assert.equal(arm(at60, v), 'canary', `${v} stays on the canary at 60%`);
    }
    assert.equal(cookieValue({ cookie: [{ key: 'Cookie', value: 'x=1; verge-viewer=' }] }, 'verge-viewer'), undefined);
    const plain = hookOf(dist([{ eventType: 'viewer-request', function: { path: 'old.js' } }]));
    assert.deepEqual(chooseArm(txn('1.1.1.1'), plain), { assoc: plain });
  });

  test('a canary entry needs a plain one for its event and a share of 1-99%', () => {
    const lone = validateDistribution(
      dist([{ eventType: 'viewer-request', function: { path: 'new.js' }, canary: { id: 'c1', percent: 10 } }]),
    );
    assert.equal(lone.ok, false);
    assert.match(
      JSON.stringify(lone),
      /a canary runs next to the function already on viewer-request; there is none here/,
    );
    const full = validateDistribution(canaryAt(100));
    assert.match(JSON.stringify(full), /canary\.percent/);
    assert.equal(validateDistribution(canaryAt(99)).ok, true);
  });
});

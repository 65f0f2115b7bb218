/**
 * Staging routing (staging-route.ts) on compiled plans: the header selects staging only with its
 * value; a weight sends about its share of viewers and keeps each viewer on one side; without a
 * staging distribution on the PoP the primary answers; and the config rules (prefix, 15% limit).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePlan } from '../config/compile.js';
import type { DistributionConfig } from '../../shared/config/types.js';
import { validateDistribution } from '../../shared/config/validate.js';
import { bucketOf, routeStaging, routeStagingSticky } from './staging-route.js';

const base = (id: string, extra: Partial<DistributionConfig> = {}): DistributionConfig => ({
  id,
  origins: [{ id: 'o', domainName: '127.0.0.1', port: 9 }],
  defaultCacheBehavior: { targetOriginId: 'o' },
  ...extra,
});
const req = (headers: Record<string, string> = {}) => ({
  clientIp: '',
  method: 'GET',
  uri: '/',
  querystring: '',
  headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [{ key: k, value: v }]])),
});

describe('staging routing', () => {
  test('a header with the right value goes to staging; anything else stays on the primary', () => {
    const plan = compilePlan([
      {
        config: base('demo', {
          aliases: ['demo.test'],
          continuousDeployment: { stagingDistributionId: 's', header: { name: 'aws-cf-cd-Try', value: 'yes' } },
        }),
        baseDir: '/',
      },
      { config: base('s', { staging: true }), baseDir: '/' },
    ]);
    const demo = plan.byId.get('demo')!;
    assert.equal(routeStaging(plan, demo, req({ 'aws-cf-cd-try': 'yes' }), '1.2.3.4').id, 's');
    assert.equal(routeStaging(plan, demo, req({ 'aws-cf-cd-try': 'no' }), '1.2.3.4').id, 'demo');
    assert.equal(routeStaging(plan, demo, req(), '1.2.3.4').id, 'demo');
    // Without the staging distribution on this PoP (refused, not arrived), the primary answers.
    const alone = compilePlan([
      {
        config: base('demo', {
          continuousDeployment: { stagingDistributionId: 's', header: { name: 'aws-cf-cd-try', value: 'yes' } },
        }),
        baseDir: '/',
      },
    ]);
    assert.equal(routeStaging(alone, alone.byId.get('demo')!, req({ 'aws-cf-cd-try': 'yes' }), '1.2.3.4').id, 'demo');
  });

  test('a weight sends about its share of viewers, each viewer always to the same side', () => {
    const plan = compilePlan([
      {
        config: base('demo', { continuousDeployment: { stagingDistributionId: 's', weight: { percent: 10 } } }),
        baseDir: '/',
      },
      { config: base('s', { staging: true }), baseDir: '/' },
    ]);
    const demo = plan.byId.get('demo')!;
    let staged = 0;
    for (let i = 0; i < 2000; i++) {
      const ip = `10.${(i >> 8) & 255}.${i & 255}.7`;
      const first = routeStaging(plan, demo, req(), ip).id;
      assert.equal(routeStaging(plan, demo, req(), ip).id, first, 'sticky per viewer');
      if (first === 's') staged++;
    }
    assert.ok(staged > 120 && staged < 280, `about 10% of 2000 viewers, got ${staged}`);
    assert.ok(bucketOf('1.2.3.4', 'demo') >= 0 && bucketOf('1.2.3.4', 'demo') < 100);
  });

  test('sticky weight routing: the session cookie keeps a viewer on its side from any address, and is renewed', () => {
    const sticky = (percent: number, stickySeconds: number) =>
      compilePlan([
        {
          config: base('demo', {
            continuousDeployment: { stagingDistributionId: 's', weight: { percent, stickySeconds } },
          }),
          baseDir: '/',
        },
        { config: base('s', { staging: true }), baseDir: '/' },
      ]);
    const plan = sticky(10, 300);
    const demo = plan.byId.get('demo')!;
    // Without a cookie the address places the viewer, and the answer carries its side.
    const ips = Array.from({ length: 400 }, (_, i) => `10.1.${i >> 8}.${i & 255}`);
    const staged = ips.find((ip) => routeStaging(plan, demo, req(), ip).id === 's')!;
    const first = routeStagingSticky(plan, demo, req(), staged);
    assert.equal(first.dist.id, 's');
    const m = /^aws-cf-cd-session=staging\.([0-9a-f]+); Max-Age=300; Path=\/; HttpOnly; SameSite=Lax$/.exec(
      first.setCookie!,
    );
    assert.ok(m, first.setCookie!);
    const cookie = (v: string) => req({ cookie: `a=1; aws-cf-cd-session=${v}` });
    // With the cookie, every address goes to the side it names, and the cookie is renewed.
    for (const ip of ips) {
      const r = routeStagingSticky(plan, demo, cookie(`staging.${m[1]}`), ip);
      assert.equal(r.dist.id, 's', `${ip} stays on staging with the cookie`);
      assert.equal(r.setCookie, first.setCookie);
      assert.equal(routeStagingSticky(plan, demo, cookie(`primary.${m[1]}`), ip).dist.id, 'demo');
    }
    // A cookie from another policy (another weight or idle time) starts a new session: the address decides.
    const other = sticky(12, 300);
    const moved = ips.filter(
      (ip) => routeStaging(other, other.byId.get('demo')!, cookie(`staging.${m[1]}`), ip).id === 'demo',
    );
    assert.ok(moved.length > 300, `${moved.length} of 400 back on the address rule`);
    // Without stickiness no cookie is set, as before.
    const plain = compilePlan([
      {
        config: base('demo', { continuousDeployment: { stagingDistributionId: 's', weight: { percent: 10 } } }),
        baseDir: '/',
      },
      { config: base('s', { staging: true }), baseDir: '/' },
    ]);
    assert.equal(routeStagingSticky(plain, plain.byId.get('demo')!, req(), staged).setCookie, null);
    // Staging not on this PoP: the primary answers and the cookie says so.
    const alone = compilePlan([
      {
        config: base('demo', {
          continuousDeployment: { stagingDistributionId: 's', weight: { percent: 10, stickySeconds: 300 } },
        }),
        baseDir: '/',
      },
    ]);
    const r = routeStagingSticky(alone, alone.byId.get('demo')!, cookie(`staging.${m[1]}`), staged);
    assert.equal(r.dist.id, 'demo');
    assert.match(r.setCookie!, /^aws-cf-cd-session=primary\./);
  });

  test('config rules: the header prefix, at most 15%, exactly one of header or weight, no aliases on staging', () => {
    const problems = (c: DistributionConfig) => {
      const r = validateDistribution(c);
      return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
    };
    assert.match(
      problems(
        base('d', { continuousDeployment: { stagingDistributionId: 's', header: { name: 'x-try', value: '1' } } }),
      ).join(),
      /must start with "aws-cf-cd-"/,
    );
    assert.match(
      problems(base('d', { continuousDeployment: { stagingDistributionId: 's', weight: { percent: 16 } } })).join(),
      /16% is over the limit: at most 15%/,
    );
    assert.match(
      problems(base('d', { continuousDeployment: { stagingDistributionId: 's' } })).join(),
      /exactly one of "header"/,
    );
    assert.match(
      problems(base('s', { staging: true, aliases: ['s.test'] })).join(),
      /\$\.aliases: a staging distribution has no aliases/,
    );
    assert.deepEqual(
      problems(base('d', { continuousDeployment: { stagingDistributionId: 's', weight: { percent: 15 } } })),
      [],
    );
    assert.match(
      problems(
        base('d', { continuousDeployment: { stagingDistributionId: 's', weight: { percent: 5, stickySeconds: 60 } } }),
      ).join(),
      /stickySeconds/,
    );
  });
});

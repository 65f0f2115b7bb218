import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { validateDistribution } from './validate.js';
import { publicKeyProblem } from './rules.js';

const PEM = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
  type: 'spki',
  format: 'pem',
}) as string;
const PEM_1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({
  type: 'spki',
  format: 'pem',
}) as string;
const PEM_EC = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
  type: 'spki',
  format: 'pem',
}) as string;

function base(): Record<string, any> {
  return {
    id: 'demo',
    origins: [{ id: 'app', domainName: '127.0.0.1' }],
    defaultCacheBehavior: { targetOriginId: 'app' },
    cacheBehaviors: [{ pathPattern: '/private/*', targetOriginId: 'app' }],
  };
}

function problems(edit: (c: Record<string, any>) => void, opts = {}) {
  const c = base();
  edit(c);
  const r = validateDistribution(c, opts);
  return r.ok ? [] : r.problems;
}

describe('defaultRootObject', () => {
  test('a file name or a path inside the origin is accepted', () => {
    assert.deepEqual(
      problems((c) => (c.defaultRootObject = 'index.html')),
      [],
    );
    assert.deepEqual(
      problems((c) => (c.defaultRootObject = 'site/index.html')),
      [],
    );
  });
  test('a leading slash, spaces, an empty or an over-long name are refused at their path', () => {
    for (const bad of ['/index.html', 'my page.html', '', 'a'.repeat(256), 3]) {
      const p = problems((c) => (c.defaultRootObject = bad));
      assert.equal(p.length, 1, JSON.stringify(bad));
      assert.equal(p[0]!.path, '$.defaultRootObject');
    }
  });
});

describe('restrictions.geoRestriction', () => {
  const geo = (g: unknown) => problems((c) => (c.restrictions = { geoRestriction: g }));
  test('allow and block lists of ISO codes, CloudFront API spellings and none', () => {
    assert.deepEqual(geo({ restrictionType: 'allowlist', locations: ['FR', 'DE'] }), []);
    assert.deepEqual(geo({ restrictionType: 'blocklist', locations: ['US'] }), []);
    assert.deepEqual(geo({ restrictionType: 'whitelist', locations: ['XK'] }), []);
    assert.deepEqual(geo({ restrictionType: 'blacklist', locations: ['GB'] }), []);
    assert.deepEqual(geo({ restrictionType: 'none' }), []);
    assert.deepEqual(geo({ restrictionType: 'none', locations: [] }), []);
  });
  test('bad codes are named at their index, with a hint for lower case', () => {
    const p = geo({ restrictionType: 'blocklist', locations: ['US', 'fr', 'UK', 'USA', 'US'] });
    assert.deepEqual(
      p.map((x) => x.path),
      [
        '$.restrictions.geoRestriction.locations[1]',
        '$.restrictions.geoRestriction.locations[2]',
        '$.restrictions.geoRestriction.locations[3]',
        '$.restrictions.geoRestriction.locations[4]',
      ],
    );
    assert.match(p[0]!.message, /did you mean "FR"/);
    assert.match(p[1]!.message, /not an ISO 3166-1 alpha-2 country code/);
    assert.match(p[3]!.message, /duplicate country code "US"/);
  });
  test('a list without countries, countries with none, a bad type and unknown fields', () => {
    assert.deepEqual(
      geo({ restrictionType: 'allowlist' }).map((x) => x.path),
      ['$.restrictions.geoRestriction.locations'],
    );
    assert.deepEqual(
      geo({ restrictionType: 'allowlist', locations: [] }).map((x) => x.path),
      ['$.restrictions.geoRestriction.locations'],
    );
    assert.match(geo({ restrictionType: 'none', locations: ['US'] })[0]!.message, /must be empty/);
    assert.match(geo({ restrictionType: 'allow' })[0]!.message, /must be one of .*allowlist/);
    assert.deepEqual(
      problems((c) => (c.restrictions = { geoRestriction: { restrictionType: 'none' }, geo: 1 })).map((x) => x.path),
      ['$.restrictions.geo'],
    );
  });
});

describe('keyGroups and trustedKeyGroups', () => {
  const group = (id: string, keys: unknown[]) => ({ id, name: id, publicKeys: keys });
  test('a behavior trusting an inline key group is valid', () => {
    const p = problems((c) => {
      c.keyGroups = [group('signers', [{ id: 'K2JCJMDEHXQW5F', encodedKey: PEM }])];
      c.cacheBehaviors[0].trustedKeyGroups = ['signers'];
    });
    assert.deepEqual(p, []);
  });
  test('an unknown key group id is refused at the behavior, unless the store knows it', () => {
    const edit = (c: Record<string, any>) => (c.defaultCacheBehavior.trustedKeyGroups = ['kg-1']);
    const p = problems(edit);
    assert.deepEqual(
      p.map((x) => x.path),
      ['$.defaultCacheBehavior.trustedKeyGroups[0]'],
    );
    assert.match(p[0]!.message, /no key group has id "kg-1"/);
    assert.deepEqual(problems(edit, { knownKeyGroups: ['kg-1'] }), []);
  });
  test('keys that are not RSA 2048 PEM, empty groups and too many groups per behavior', () => {
    const p = problems((c) => {
      c.keyGroups = [
        group('a', [
          { id: 'K1', encodedKey: 'not a key' },
          { id: 'K2', encodedKey: PEM_1024 },
          { id: 'K3', encodedKey: PEM_EC },
        ]),
        group('b', []),
      ];
      c.cacheBehaviors[0].trustedKeyGroups = ['a', 'a', 'b', 'c', 'd'];
    });
    assert.deepEqual(
      p.map((x) => x.path),
      [
        '$.keyGroups[0].publicKeys[0].encodedKey',
        '$.keyGroups[0].publicKeys[1].encodedKey',
        '$.keyGroups[0].publicKeys[2].encodedKey',
        '$.keyGroups[1].publicKeys',
        '$.cacheBehaviors[0].trustedKeyGroups',
      ],
    );
    assert.match(p[1]!.message, /2048-bit/);
    assert.match(p[2]!.message, /RSA/);
    assert.match(p[4]!.message, /at most 4/);
  });
  test('one public key id naming two different keys is refused', () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
      type: 'spki',
      format: 'pem',
    }) as string;
    const p = problems((c) => {
      c.keyGroups = [group('a', [{ id: 'K1', encodedKey: PEM }]), group('b', [{ id: 'K1', encodedKey: other }])];
    });
    assert.deepEqual(
      p.map((x) => x.path),
      ['$.keyGroups[1].publicKeys[0].id'],
    );
  });
  test('publicKeyProblem accepts a 2048-bit RSA key only', () => {
    assert.equal(publicKeyProblem(PEM), undefined);
    assert.match(publicKeyProblem(PEM_1024)!, /got 1024 bits/);
    assert.match(publicKeyProblem('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----')!, /not a PEM/);
  });
});

// Public keys and key groups on the control plane (no edges): CloudFront-style ids, PEM checks
// with errors at their JSON paths, distributions whose behaviors trust key groups by id (unknown
// ids and inline keyGroups refused at their paths), the snapshot carrying each trusted group's
// keys to PoPs, deletions of what is in use refused with the user named, and the same through
// the real `verge public-keys` / `verge key-groups` / `verge apply` commands.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Snapshot } from '../../src/shared/replication/protocol.js';
import { distribution, startTestControl, type TestControl } from '../../src/control/testing/harness.js';

const BIN = fileURLToPath(new URL('../../bin/verge.js', import.meta.url));
// The CLI from src/ through tsx, like this test (no build needed).
process.env.VERGE_FROM_SOURCE = '1';
const pem = (bits: number) =>
  generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ type: 'spki', format: 'pem' }) as string;

describe('public keys and key groups', () => {
  let t: TestControl;
  const KEY = pem(2048);
  const KEY2 = pem(2048);
  let keyId = '';
  let groupId = '';
  let edgeToken = '';

  const verge = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve, reject) => {
      const env = {
        ...process.env,
        VERGE_URL: t.control.url,
        VERGE_TOKEN: t.adminToken,
        VERGE_CONFIG: join(t.dir, 'no-profile.json'),
      };
      const child = spawn(process.execPath, ['--no-node-snapshot', BIN, ...args], { env, stdio: 'pipe' });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`verge ${args.join(' ')} did not finish in 60 s\n${stdout}\n${stderr}`));
      }, 60_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? 1, stdout, stderr });
      });
    });

  /** The newest snapshot as a PoP downloads it. */
  const latestSnapshot = async (): Promise<Snapshot> => {
    const v = (await t.api('GET', '/deployments')).body.items[0].version as number;
    return (await t.api('GET', `/edge/snapshots/${v}`, undefined, { token: edgeToken })).body as Snapshot;
  };

  before(async () => {
    t = await startTestControl({ pingIntervalMs: 60_000 });
    edgeToken = (await t.api('POST', '/tokens', { name: 'p1', kind: 'edge', pop: 'p1' })).body.token;
    await t.api(
      'POST',
      '/edge/register',
      { pop: 'p1', region: 'r1', appliedVersion: 0, edgeVersion: 'test' },
      { token: edgeToken },
    );
  });
  after(() => t.close());

  test('a public key gets a CloudFront-style id; keys that are not RSA 2048 PEM are refused at $.encodedKey', async () => {
    for (const bad of ['not a key', pem(1024)]) {
      const r = await t.api('POST', '/public-keys', { name: 'bad', encodedKey: bad });
      assert.equal(r.status, 400);
      assert.equal(r.body.error.code, 'VALIDATION_FAILED');
      assert.equal(r.body.error.fields[0].path, '$.encodedKey');
    }
    const r = await t.api('POST', '/public-keys', { name: 'signer', encodedKey: KEY, comment: 'web app' });
    assert.equal(r.status, 201, r.text);
    keyId = r.body.id;
    assert.match(keyId, /^K[A-Z0-9]{13}$/);
    assert.equal(r.body.encodedKey.trim(), KEY.trim());
    assert.equal((await t.api('GET', `/public-keys/${keyId}`)).body.name, 'signer');
    assert.deepEqual(
      (await t.api('GET', '/public-keys')).body.items.map((k: { id: string }) => k.id),
      [keyId],
    );
    assert.equal((await t.api('POST', '/public-keys', { name: 'signer', encodedKey: KEY2 })).status, 409);
  });

  test('a key group holds existing keys only; its id is a UUID', async () => {
    const bad = await t.api('POST', '/key-groups', { name: 'g', publicKeyIds: [keyId, 'KNOPE'] });
    assert.equal(bad.status, 400);
    assert.deepEqual(
      bad.body.error.fields.map((f: { path: string }) => f.path),
      ['$.publicKeyIds[1]'],
    );
    const r = await t.api('POST', '/key-groups', { name: 'signers', publicKeyIds: [keyId] });
    assert.equal(r.status, 201, r.text);
    groupId = r.body.id;
    assert.match(groupId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.deepEqual(r.body.publicKeyIds, [keyId]);
  });

  test('a distribution trusts key groups by id; unknown ids and inline keyGroups are refused at their paths', async () => {
    const unknown = await t.api(
      'POST',
      '/distributions',
      distribution('shop', {
        cacheBehaviors: [{ pathPattern: '/api/*', targetOriginId: 'origin', trustedKeyGroups: ['nope'] }],
      }),
    );
    assert.equal(unknown.status, 400);
    assert.deepEqual(
      unknown.body.error.fields.map((f: { path: string }) => f.path),
      ['$.cacheBehaviors[0].trustedKeyGroups[0]'],
    );
    const inline = await t.api(
      'POST',
      '/distributions',
      distribution('shop', { keyGroups: [{ id: 'x', publicKeys: [{ id: 'K1', encodedKey: KEY }] }] }),
    );
    assert.equal(inline.status, 400);
    assert.equal(inline.body.error.fields[0].path, '$.keyGroups');
    const geo = await t.api(
      'POST',
      '/distributions',
      distribution('shop', { restrictions: { geoRestriction: { restrictionType: 'blocklist', locations: ['UK'] } } }),
    );
    assert.equal(geo.status, 400);
    assert.equal(geo.body.error.fields[0].path, '$.restrictions.geoRestriction.locations[0]');

    const ok = await t.api(
      'POST',
      '/distributions',
      distribution('shop', {
        defaultRootObject: 'index.html',
        restrictions: { geoRestriction: { restrictionType: 'allowlist', locations: ['FR'] } },
        cacheBehaviors: [{ pathPattern: '/api/*', targetOriginId: 'origin', trustedKeyGroups: [groupId] }],
      }),
    );
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.body.config.keyGroups, undefined, 'the stored config names the group, it does not copy it');
    const snap = await latestSnapshot();
    const d = snap.distributions.find((x) => x.id === 'shop')!;
    assert.equal(d.defaultRootObject, 'index.html');
    assert.deepEqual(d.restrictions, { geoRestriction: { restrictionType: 'allowlist', locations: ['FR'] } });
    assert.deepEqual(d.keyGroups, [
      { id: groupId, name: 'signers', publicKeys: [{ id: keyId, name: 'signer', encodedKey: KEY.trim() + '\n' }] },
    ]);
  });

  test('rotating the keys of a trusted group is a new snapshot carrying the new key', async () => {
    const k2 = (await t.api('POST', '/public-keys', { name: 'signer-2', encodedKey: KEY2 })).body.id as string;
    const before = (await latestSnapshot()).version;
    const r = await t.api('PUT', `/key-groups/${groupId}`, { name: 'signers', publicKeyIds: [keyId, k2] });
    assert.equal(r.status, 200, r.text);
    const snap = await latestSnapshot();
    assert.equal(snap.version, before + 1);
    assert.match(snap.reason, /key group signers .* updated/);
    const ids = snap.distributions[0]!.keyGroups![0]!.publicKeys.map((k) => k.id);
    assert.deepEqual(ids, [keyId, k2]);
  });

  test('what is in use cannot be deleted, and the refusal names who uses it', async () => {
    const g = await t.api('DELETE', `/key-groups/${groupId}`);
    assert.equal(g.status, 409);
    assert.equal(g.body.error.code, 'KEY_IN_USE');
    assert.match(g.body.error.message, /distribution behavior\(s\) shop \/api\/\*/);
    const k = await t.api('DELETE', `/public-keys/${keyId}`);
    assert.equal(k.status, 409);
    assert.match(k.body.error.message, new RegExp(`key group\\(s\\) signers \\(${groupId}\\)`));
    // Once the behavior no longer trusts it, the group can go, and then the key.
    const d = (await t.api('GET', '/distributions/shop')).body;
    d.config.cacheBehaviors[0].trustedKeyGroups = [];
    assert.equal((await t.api('PUT', '/distributions/shop', d.config)).status, 200);
    assert.equal((await t.api('DELETE', `/key-groups/${groupId}`)).status, 204);
    assert.equal((await t.api('DELETE', `/public-keys/${keyId}`)).status, 204);
    assert.equal((await t.api('GET', `/key-groups/${groupId}`)).status, 404);
  });

  test('the CLI: public-keys create/list, key-groups create/list, a refused delete, and apply', async () => {
    const file = join(t.dir, 'public_key.pem');
    writeFileSync(file, KEY);
    const created = await verge(['public-keys', 'create', '--name', 'cli-key', '--file', file]);
    assert.equal(created.code, 0, created.stderr);
    const id = /: (K[A-Z0-9]{13}) /.exec(created.stdout)?.[1];
    assert.ok(id, created.stdout);
    const list = await verge(['public-keys', 'list']);
    assert.match(list.stdout, new RegExp(`^${id}\\s+cli-key\\s`, 'm'));
    const group = await verge(['key-groups', 'create', '--name', 'cli-group', '--key', id!, '--output', 'json']);
    assert.equal(group.code, 0, group.stderr);
    const gid = (JSON.parse(group.stdout) as { id: string }).id;
    assert.match((await verge(['key-groups', 'list'])).stdout, new RegExp(`${gid}\\s+cli-group\\s+${id}`));

    const apply = join(t.dir, 'verge.json');
    writeFileSync(
      apply,
      JSON.stringify({
        distributions: [
          distribution('cli', {
            cacheBehaviors: [{ pathPattern: '/api/*', targetOriginId: 'origin', trustedKeyGroups: [gid] }],
          }),
        ],
      }),
    );
    const applied = await verge(['apply', '-f', apply, '--yes']);
    assert.equal(applied.code, 0, applied.stderr + applied.stdout);
    const stored = (await t.api('GET', '/distributions/cli')).body.config;
    assert.deepEqual(stored.cacheBehaviors[0].trustedKeyGroups, [gid]);

    const refused = await verge(['key-groups', 'delete', gid]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /KEY_IN_USE|trusted by distribution behavior\(s\) cli \/api\/\*/);
  });
});

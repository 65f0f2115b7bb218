/**
 * Tests for the pieces of the control-plane commands that need no server: the `verge apply`
 * plan, package digests, connection precedence and the profile file, output helpers.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import type { FunctionResource, Trigger } from '../client/index.js';
import { computePlan, renderPlan, type CurrentState, type ResolvedFunction } from './cmd-apply-plan.js';
import { readPackage, remoteDigest } from './cmd-package.js';
import { resolveConnection, writeProfile } from './profile.js';
import { parseSince } from './cmd-logs.js';
import { sparkline, table } from './output.js';

const dir = mkdtempSync(join(tmpdir(), 'verge-cli-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const dist = {
  id: 'demo',
  origins: [{ id: 'o', domainName: '127.0.0.1' }],
  defaultCacheBehavior: { targetOriginId: 'o' },
};

function remoteFn(over: Partial<FunctionResource> = {}): FunctionResource {
  return {
    name: 'auth',
    runtime: 'nodejs',
    handler: 'index.handler',
    memoryMB: 128,
    timeoutMs: 5000,
    profile: 'cloudfront',
    concurrency: 10,
    kvs: null,
    egress: null,
    env: {},
    secrets: {},
    codeSha256: 'zip1',
    codeSize: 10,
    lastModified: '',
    versionCount: 1,
    latestVersion: 3,
    etag: '"r1"',
    versions: [{ version: 3, sha256: 'zip1', size: 10, createdAt: '', description: '' }],
    ...over,
  };
}

async function folderPackage(content: string) {
  const f = join(dir, `fn-${Math.random().toString(36).slice(2)}`);
  mkdirSync(join(f, 'lib'), { recursive: true });
  writeFileSync(join(f, 'index.js'), content);
  writeFileSync(join(f, 'lib', 'util.js'), 'module.exports = 1;');
  return readPackage(f);
}

describe('apply plan', () => {
  test('everything new: create + publish, create distribution, attach the version to be published', async () => {
    const pkg = await folderPackage('exports.handler = 1;');
    const fns: ResolvedFunction[] = [
      { spec: { name: 'auth', path: './auth' }, runtime: 'nodejs', handler: 'index.handler', pkg },
    ];
    const state: CurrentState = {
      functions: new Map([['auth', undefined]]),
      distributions: new Map([['demo', undefined]]),
      triggers: new Map(),
    };
    const file = {
      distributions: [dist],
      triggers: [{ distribution: 'demo', behavior: '/api/*', event: 'origin-request' as const, function: 'auth' }],
    };
    const plan = computePlan(file, fns, state);
    assert.deepEqual(
      plan.map((a) => a.kind),
      ['function-create', 'function-publish', 'distribution-create', 'trigger-attach'],
    );
    assert.equal((plan[3] as { function: string }).function, 'auth:?');
    assert.match(renderPlan(plan), /attach auth:\(new version\)[\s\S]*Plan: 4 to add, 0 to change, 0 to remove\./);
  });

  test('unchanged code and config plan nothing; changed code plans update + publish; stray triggers are removed', async () => {
    const pkg = await folderPackage('exports.handler = 2;');
    const fns: ResolvedFunction[] = [
      { spec: { name: 'auth', path: './auth' }, runtime: 'nodejs', handler: 'index.handler', pkg },
    ];
    const attached: Trigger = {
      id: 't1',
      distributionId: 'demo',
      behavior: '/api/*',
      eventType: 'origin-request',
      function: 'auth:3',
      includeBody: false,
      canary: null,
      createdAt: '',
      etag: '"r1"',
    };
    const stray: Trigger = { ...attached, id: 't2', behavior: '/old/*' };
    const file = {
      distributions: [dist],
      triggers: [{ distribution: 'demo', behavior: '/api/*', event: 'origin-request' as const, function: 'auth' }],
    };
    const same: CurrentState = {
      functions: new Map([['auth', { fn: remoteFn(), digest: pkg.digest }]]),
      distributions: new Map([['demo', { config: dist, etag: '"r1"' }]]),
      triggers: new Map([['demo', [attached]]]),
    };
    assert.deepEqual(computePlan(file, fns, same), []);
    const changed: CurrentState = {
      ...same,
      functions: new Map([['auth', { fn: remoteFn(), digest: 'other' }]]),
      triggers: new Map([['demo', [attached, stray]]]),
    };
    const plan = computePlan(file, fns, changed);
    assert.deepEqual(
      plan.map((a) => a.kind),
      ['function-update', 'function-publish', 'trigger-remove', 'trigger-attach'],
    );
    assert.equal((plan[2] as { id: string }).id, 't2');
  });

  test('an unpublished $LATEST is published; a changed runtime is refused', async () => {
    const pkg = await folderPackage('x');
    const fns: ResolvedFunction[] = [
      { spec: { name: 'auth', path: '.' }, runtime: 'nodejs', handler: 'index.handler', pkg },
    ];
    const st = (fn: FunctionResource): CurrentState => ({
      functions: new Map([['auth', { fn, digest: pkg.digest }]]),
      distributions: new Map(),
      triggers: new Map(),
    });
    assert.deepEqual(
      computePlan({}, fns, st(remoteFn({ codeSha256: 'zip2' }))).map((a) => a.kind),
      ['function-publish'],
    );
    assert.throws(() => computePlan({}, fns, st(remoteFn({ runtime: 'python' }))), /runtime cannot change/);
  });
});

describe('package digest', () => {
  test('a folder and the same files as a zip from the server have the same digest; content changes it', async () => {
    const a = await folderPackage('exports.handler = 1;');
    const zip = zipSync({
      'lib/util.js': new TextEncoder().encode('module.exports = 1;'),
      'index.js': new TextEncoder().encode('exports.handler = 1;'),
    });
    assert.equal(remoteDigest({ files: {}, zipBase64: Buffer.from(zip).toString('base64') }), a.digest);
    const b = await folderPackage('exports.handler = 2;');
    assert.notEqual(a.digest, b.digest);
    assert.ok('zipBase64' in a.code);
  });

  test('a single file becomes { source, filename }', async () => {
    const f = join(dir, 'auth.mjs');
    writeFileSync(f, 'export const handler = 1;');
    const p = await readPackage(f);
    assert.deepEqual(p.code, { source: 'export const handler = 1;', filename: 'auth.mjs' });
    assert.equal(remoteDigest({ files: { 'auth.mjs': 'export const handler = 1;' }, zipBase64: '' }), p.digest);
  });
});

describe('connection and profile', () => {
  test('flags beat the environment, which beats the profile (written with mode 0600)', async () => {
    const path = join(dir, 'cfg', 'profile.json');
    await writeProfile({ url: 'http://profile:1', token: 'ptoken' }, path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const env = { VERGE_CONFIG: path };
    assert.deepEqual(await resolveConnection({}, env), { url: 'http://profile:1', token: 'ptoken', source: 'profile' });
    assert.deepEqual(await resolveConnection({}, { ...env, VERGE_URL: 'http://env:2', VERGE_TOKEN: 'etoken' }), {
      url: 'http://env:2',
      token: 'etoken',
      source: 'env',
    });
    assert.deepEqual(
      await resolveConnection({ url: 'http://flag:3', token: 'ftoken' }, { ...env, VERGE_URL: 'http://env:2' }),
      { url: 'http://flag:3', token: 'ftoken', source: 'flag' },
    );
    assert.deepEqual(await resolveConnection({}, { VERGE_CONFIG: join(dir, 'missing.json') }), {
      url: 'http://127.0.0.1:8080',
      token: undefined,
      source: 'default',
    });
  });
});

describe('output helpers', () => {
  test('sparkline spans the range and marks gaps; table aligns columns', () => {
    assert.equal(sparkline([0, 7, null, 14]), '▁▅ █');
    assert.equal(sparkline([]), '');
    assert.equal(
      table(
        ['A', 'BB'],
        [
          ['xxx', 1],
          [null, 'y'],
        ],
      ),
      'A    BB\nxxx  1\n-    y',
    );
  });

  test('--since takes durations, ISO times and epoch ms', () => {
    const now = Date.UTC(2026, 0, 1, 12);
    assert.equal(parseSince('10m', '--since', now), now - 600_000);
    assert.equal(parseSince('2026-01-01T00:00:00Z', '--since', now), Date.UTC(2026, 0, 1));
    assert.equal(parseSince('1767225600000', '--since', now), 1767225600000);
    assert.throws(() => parseSince('yesterday', '--since', now), /duration like 10m/);
  });
});

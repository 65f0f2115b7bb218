import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isVergeError, type VergeError } from '../../shared/errors.js';
import { loadConfigFiles } from './load.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'verge-config-'));
  await mkdir(join(dir, 'functions'));
  await mkdir(join(dir, 'public'));
  await writeFile(join(dir, 'functions', 'auth.js'), 'export const handler = async (e) => e.Records[0].cf.request;\n');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, content: unknown): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

async function rejection(p: Promise<unknown>): Promise<VergeError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  assert.ok(isVergeError(e), `expected a VergeError, got ${String(e)}`);
  return e;
}

const good = {
  id: 'site',
  aliases: ['site.test'],
  origins: [
    { id: 'app', domainName: '127.0.0.1', port: 9000 },
    { id: 'files', bucket: { path: 'public' } },
  ],
  defaultCacheBehavior: {
    targetOriginId: 'files',
    functionAssociations: [{ eventType: 'viewer-request', function: './functions/auth.js' }],
  },
  cacheBehaviors: [{ pathPattern: '/api/*', targetOriginId: 'app', cachePolicy: 'CachingDisabled' }],
};

describe('loadConfigFiles', () => {
  test('loads, resolves paths against the config file folder, and compiles', async () => {
    const file = await write('good.json', good);
    const { plan, configs } = await loadConfigFiles([file]);
    assert.equal(configs[0]!.baseDir, dir);
    const d = plan.byHost.get('site.test')!;
    assert.equal(d.origins.get('files')!.bucketPath, join(dir, 'public'));
    assert.equal(d.behaviorFor('/x').hooks['viewer-request']!.source.id, join(dir, 'functions', 'auth.js'));
  });

  test('JSON syntax errors → CONFIG_UNREADABLE with file, line and column', async () => {
    const file = await write('broken.json', '{\n  "id": "x",\n  "origins": [,]\n}\n');
    const e = await rejection(loadConfigFiles([file]));
    assert.equal(e.code, 'CONFIG_UNREADABLE');
    assert.ok(e.message.startsWith(`${file}:3:`), e.message);
    assert.equal(e.details?.line, 3);
    assert.equal(e.details?.file, file);
  });

  test('a missing file → CONFIG_UNREADABLE naming it', async () => {
    const missing = join(dir, 'nope.json');
    const e = await rejection(loadConfigFiles([missing]));
    assert.equal(e.code, 'CONFIG_UNREADABLE');
    assert.match(e.message, /nope\.json: ENOENT/);
  });

  test('every problem in every file, including missing referenced files, in one CONFIG_INVALID', async () => {
    const a = await write('a.json', {
      ...good,
      id: 'a',
      aliases: ['a.test'],
      origins: [
        { id: 'app', domainName: '127.0.0.1' },
        { id: 'files', bucket: { path: 'missing-dir' } },
      ],
      defaultCacheBehavior: {
        targetOriginId: 'app',
        functionAssociations: [{ eventType: 'origin-request', function: { path: 'functions/none.js' } }],
      },
    });
    const b = await write('b.json', {
      ...good,
      id: 'b',
      aliases: ['b.test'],
      enabled: 'yes',
      cacheBehaviors: [{ pathPattern: '/x', targetOriginId: 'zz' }],
    });
    const e = await rejection(loadConfigFiles([a, b]));
    assert.equal(e.code, 'CONFIG_INVALID');
    const problems = (e.details?.problems as Array<{ file: string; path: string }>)
      .map((p) => `${p.file === a ? 'a' : 'b'} ${p.path}`)
      .sort();
    assert.deepEqual(problems, [
      'a $.defaultCacheBehavior.functionAssociations[0].function.path',
      'a $.origins[1].bucket.path',
      'b $.cacheBehaviors[0].targetOriginId',
      'b $.enabled',
    ]);
    assert.match(
      e.message,
      new RegExp(`${b.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: \\$\\.enabled: must be true or false`),
    );
  });

  test('the same distribution id in two files is a problem; a shared alias is CONFIG_DUPLICATE_ALIAS', async () => {
    const one = await write('one.json', good);
    const two = await write('two.json', { ...good, aliases: ['other.test'] });
    const e = await rejection(loadConfigFiles([one, two]));
    assert.equal(e.code, 'CONFIG_INVALID');
    assert.deepEqual(
      (e.details?.problems as Array<{ path: string }>).map((p) => p.path),
      ['$.id'],
    );
    const three = await write('three.json', { ...good, id: 'three' });
    const e2 = await rejection(loadConfigFiles([one, three]));
    assert.equal(e2.code, 'CONFIG_DUPLICATE_ALIAS');
    assert.match(e2.message, /"site\.test" is claimed by distributions "site" and "three"/);
  });
});

describe('jsonErrorOffset', () => {
  test('points at the first error and agrees with JSON.parse on validity', async () => {
    const { jsonErrorOffset, lineColumn } = await import('./json-position.js');
    const cases: Array<[string, number]> = [
      ['{"a": 1}', -1],
      [' [1, 2.5e3, -0, "x\\u00e9", true, null, {}] ', -1],
      ['{"a": [,]}', 7],
      ['{"a": 1,}', 8],
      ['{"a" 1}', 5],
      ['{"a": 01}', 7],
      ['{"a": tru}', 6],
      ['{"a": "x', 8],
      ['{"a": 1} x', 9],
      ["{'a': 1}", 1],
      ['', 0],
    ];
    for (const [text, want] of cases) {
      assert.equal(jsonErrorOffset(text), want, text);
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      assert.equal(valid, want === -1, `validity of ${text}`);
    }
    assert.deepEqual(lineColumn('ab\ncd\nef', 7), { line: 3, column: 2 });
  });
});

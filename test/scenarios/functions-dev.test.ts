/**
 * @module test/scenarios/functions-dev.test
 * `verge dev` (startDevServer) on a real project folder: file changes reload functions and
 * configs, a broken function or config is refused while the previous version keeps serving,
 * the cache of untouched behaviors survives a reload, and `--origin` redirects every origin.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startDevServer, type DevServer, type ReloadOutcome } from '../../src/cli/fn-dev-server.js';
import { memoryLogger } from '../../src/shared/log.js';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';

let origin: ScriptedOrigin;
let dir: string;
let dev: DevServer;
const out: string[] = [];

const fn = (text: string) =>
  `exports.handler = async () => ({ status: '200', headers: { 'content-type': [{ value: 'text/plain' }] }, body: ${JSON.stringify(text)} });`;

function config(originPort: number, extra: Record<string, unknown> = {}) {
  return {
    id: 'devsite',
    aliases: ['localhost'],
    origins: [
      {
        id: 'app',
        domainName: '127.0.0.1',
        port: originPort,
        protocol: 'http',
        connectionAttempts: 1,
        connectionTimeout: 2,
      },
    ],
    defaultCacheBehavior: {
      targetOriginId: 'app',
      cachePolicy: 'CachingDisabled',
      functionAssociations: [{ eventType: 'viewer-request', function: './fn/hello.js' }],
    },
    cacheBehaviors: [{ pathPattern: '/static/*', targetOriginId: 'app', cachePolicy: 'CachingOptimized' }],
    ...extra,
  };
}

async function get(server: DevServer, path: string): Promise<{ status: number; text: string; xCache: string }> {
  const r = await request(server.url + path, { headers: { host: 'localhost' } });
  return {
    status: r.statusCode,
    text: await r.body.text(),
    xCache: String(r.headers['x-cache']).replace(/ from \w+$/, ''),
  };
}

/** Change a file and wait (bounded) for the reload it triggers. */
async function change(server: DevServer, file: string, content: string): Promise<ReloadOutcome> {
  const next = server.nextReload();
  writeFileSync(join(dir, file), content);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`no reload after changing ${file}`)), 8000)),
  );
  try {
    return await Promise.race([next, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

before(async () => {
  origin = await startOrigin({
    '*': (r) => ({ status: 200, headers: { 'cache-control': 'max-age=600' }, body: `origin ${r.url}` }),
  });
  dir = mkdtempSync(join(tmpdir(), 'verge-dev-'));
  mkdirSync(join(dir, 'fn'));
  writeFileSync(join(dir, 'fn/hello.js'), fn('v1'));
  writeFileSync(join(dir, 'site.json'), JSON.stringify(config(origin.port)));
  writeFileSync(join(dir, 'redirects.json'), JSON.stringify({ '/a': '/b' })); // data, not a distribution
  dev = await startDevServer({
    dir,
    port: 0,
    debounceMs: 50,
    out: (l) => out.push(l),
    edge: { geo: false, logger: memoryLogger() },
  });
});
after(async () => {
  await dev?.close();
  await origin?.close();
});

describe('verge dev', () => {
  test('serves the configs it found (data JSON files are skipped)', async () => {
    assert.deepEqual(dev.configFiles, [join(dir, 'site.json')]);
    assert.equal((await get(dev, '/')).text, 'v1');
  });

  test('a function edit reloads it; the cache of another behavior survives', async () => {
    assert.equal((await get(dev, '/static/a.css')).xCache, 'Miss');
    assert.equal((await get(dev, '/static/a.css')).xCache, 'Hit');
    const r = await change(dev, 'fn/hello.js', fn('v2'));
    assert.equal(r.ok, true, r.error);
    assert.equal((await get(dev, '/')).text, 'v2');
    const cached = await get(dev, '/static/a.css');
    assert.equal(cached.xCache, 'Hit', 'the reload kept the cache');
    assert.equal(origin.count('/static/a.css'), 1);
  });

  test('a broken function is refused with its load error; the previous version keeps serving', async () => {
    const r = await change(dev, 'fn/hello.js', 'exports.handler = async () => {{{');
    assert.equal(r.ok, false);
    assert.match(r.error!, /FUNCTION_LOAD_ERROR/);
    assert.ok(out.some((l) => l.startsWith('reload refused; still serving the previous version.')));
    assert.equal((await get(dev, '/')).text, 'v2');
    const fixed = await change(dev, 'fn/hello.js', fn('v3'));
    assert.equal(fixed.ok, true, fixed.error);
    assert.equal((await get(dev, '/')).text, 'v3');
  });

  test('a broken config is refused with its position; a fixed one applies', async () => {
    const bad = await change(dev, 'site.json', '{ "id": "devsite", ');
    assert.equal(bad.ok, false);
    assert.match(bad.error!, /CONFIG_UNREADABLE: .*site\.json:1:\d+: not valid JSON/);
    const invalid = await change(
      dev,
      'site.json',
      JSON.stringify(config(origin.port, { defaultCacheBehavior: { targetOriginId: 'nope' } })),
    );
    assert.equal(invalid.ok, false);
    assert.match(invalid.error!, /CONFIG_INVALID/);
    assert.equal((await get(dev, '/')).text, 'v3');
    const good = await change(dev, 'site.json', JSON.stringify(config(origin.port, { comment: 'edited' })));
    assert.equal(good.ok, true, good.error);
    assert.equal((await get(dev, '/static/a.css')).xCache, 'Hit', 'a config reload keeps the cache too');
  });
});

describe('verge dev --origin', () => {
  test('every origin is replaced by the proxy target', async () => {
    const d2 = mkdtempSync(join(tmpdir(), 'verge-dev-'));
    mkdirSync(join(d2, 'fn'));
    mkdirSync(join(d2, 'public'));
    writeFileSync(join(d2, 'fn/hello.js'), fn('hi'));
    // The configured origins are a bucket and a dead port; --origin sends everything to the scripted origin.
    const c = config(1, {
      origins: [
        { id: 'app', domainName: '127.0.0.1', port: 1, protocol: 'http' },
        { id: 'files', bucket: { path: './public' } },
      ],
    });
    (c.cacheBehaviors as Array<Record<string, unknown>>)[0]!.targetOriginId = 'files';
    writeFileSync(join(d2, 'verge.json'), JSON.stringify(c));
    const proxied = await startDevServer({
      dir: d2,
      port: 0,
      origin: `${origin.url}/base`,
      edge: { geo: false, logger: memoryLogger() },
    });
    try {
      const r = await get(proxied, '/static/x.js');
      assert.equal(r.status, 200);
      assert.equal(r.text, 'origin /base/static/x.js');
    } finally {
      await proxied.close();
    }
  });
});

/**
 * @module test/scenarios/edge-viewer-access
 * CloudFront's built-in viewer checks through a real edge: the default root object (`/` is asked
 * of the origin as `/index.html`, subfolders are not, and the viewer-request function already sees
 * the rewritten URI), and geographic restrictions with an allow list and a block list, the viewer
 * coming from different loopback addresses that `--geo-overrides` places in France and the US:
 * CloudFront's 403 with `X-Cache: Error from verge`, the custom error page for 403 where one is
 * configured, `ClientGeoBlocked` in the access log, no function run, and an unknown country served.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { distribution, getFrom as rawGetFrom, startTestEdge, type TestEdge } from '../harness/edge.js';

let origin: ScriptedOrigin;
let te: TestEdge;
/** A GET from a loopback source address (each one stands for a viewer somewhere else). */
const getFrom = (local: string, host: string, path: string) => rawGetFrom(te.url, local, path, { host });

const FRANCE = '127.0.0.2';
const USA = '127.0.0.3';
const UNKNOWN = '127.0.0.1';

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'verge-access-'));
  const overrides = join(dir, 'geo.json');
  writeFileSync(
    overrides,
    JSON.stringify({ [`${FRANCE}/32`]: { countryCode: 'FR' }, [`${USA}/32`]: { countryCode: 'US' } }),
  );
  origin = await startOrigin({
    '/errors/403.html': { status: 200, headers: { 'content-type': 'text/html' }, body: 'not in your country (custom)' },
    '*': (req) => ({
      headers: { 'cache-control': 'max-age=600' },
      body: `origin ${req.url} seen=${req.headers['x-seen-uri'] ?? '-'}`,
    }),
  });
  const seenUri = `exports.handler = async (event) => {
    const r = event.Records[0].cf.request;
    r.headers['x-seen-uri'] = [{ key: 'X-Seen-Uri', value: r.uri }];
    return r;
  };`;
  const withFunction = {
    targetOriginId: 'o1',
    cachePolicy: 'CachingDisabled',
    originRequestPolicy: 'AllViewer',
    functionAssociations: [{ eventType: 'viewer-request', function: './functions/seen.js' }],
  };
  te = await startTestEdge({
    geoOverrides: overrides,
    files: { 'functions/seen.js': seenUri },
    configs: [
      distribution(origin.port, {
        id: 'root',
        aliases: ['root.local'],
        defaultRootObject: 'index.html',
        defaultCacheBehavior: withFunction,
      }),
      distribution(origin.port, {
        id: 'allow',
        aliases: ['allow.local'],
        restrictions: { geoRestriction: { restrictionType: 'allowlist', locations: ['FR', 'DE'] } },
        defaultCacheBehavior: withFunction,
      }),
      distribution(origin.port, {
        id: 'block',
        aliases: ['block.local'],
        restrictions: { geoRestriction: { restrictionType: 'blocklist', locations: ['FR'] } },
        customErrorResponses: [{ errorCode: 403, responsePagePath: '/errors/403.html', responseCode: 403 }],
      }),
    ],
  });
});

after(async () => {
  await te?.close();
  await origin?.close();
});

describe('defaultRootObject', () => {
  test('/ is fetched from the origin as /index.html, and the viewer-request function sees /index.html', async () => {
    const r = await te.get('/', { host: 'root.local' });
    assert.equal(r.status, 200);
    assert.equal(r.text, 'origin /index.html seen=/index.html');
    assert.equal(origin.count('/'), 0);
  });

  test('the query string stays with the root object', async () => {
    const r = await te.get('/?lang=fr', { host: 'root.local' });
    assert.equal(r.text, 'origin /index.html?lang=fr seen=/index.html');
  });

  test('subfolders and other paths are not rewritten', async () => {
    assert.equal((await te.get('/docs/', { host: 'root.local' })).text, 'origin /docs/ seen=/docs/');
    assert.equal((await te.get('/index.htm', { host: 'root.local' })).text, 'origin /index.htm seen=/index.htm');
    // A distribution without a default root object passes / through.
    assert.equal((await getFrom(UNKNOWN, 'allow.local', '/')).text, 'origin / seen=/');
  });
});

describe('geographic restrictions', () => {
  test('allow list: a viewer in an allowed country is served', async () => {
    const r = await getFrom(FRANCE, 'allow.local', '/page');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'origin /page seen=/page');
  });

  test('allow list: a viewer elsewhere gets 403 before any function runs, logged as ClientGeoBlocked', async () => {
    const before = origin.requests.length;
    const r = await getFrom(USA, 'allow.local', '/page');
    assert.equal(r.status, 403);
    assert.equal(r.header('x-cache'), 'Error from verge');
    assert.match(r.header('content-type') ?? '', /text\/html/);
    assert.match(r.text, /configured to block access from your country/);
    assert.equal(origin.requests.length, before);
    const log = te.accessLog.find((l) => l['c-ip'] === USA && l['cs(Host)'] === 'allow.verge.local');
    assert.ok(log, 'an access log line for the blocked request');
    assert.equal(log['sc-status'], 403);
    assert.equal(log['x-edge-result-type'], 'Error');
    assert.equal(log['x-edge-detailed-result-type'], 'ClientGeoBlocked');
    assert.match(String(log['x-edge-error']), /VIEWER_GEO_BLOCKED: .* is in US/);
    assert.equal(log.functions, undefined, 'the viewer-request function did not run');
  });

  test('a viewer whose country is unknown is served, as on CloudFront', async () => {
    assert.equal((await getFrom(UNKNOWN, 'allow.local', '/page')).status, 200);
  });

  test('block list: a blocked viewer gets the custom error page configured for 403; others are served', async () => {
    const blocked = await getFrom(FRANCE, 'block.local', '/film.mp4');
    assert.equal(blocked.status, 403);
    assert.equal(blocked.text, 'not in your country (custom)');
    assert.equal(origin.count('/film.mp4'), 0);
    const served = await getFrom(USA, 'block.local', '/film.mp4');
    assert.equal(served.status, 200);
    assert.equal(served.text, 'origin /film.mp4 seen=-');
    // The block does not poison the cache for the allowed viewer, nor the other way round.
    assert.equal((await getFrom(FRANCE, 'block.local', '/film.mp4')).status, 403);
  });
});

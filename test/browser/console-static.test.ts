/**
 * @module test/browser/console-static
 * How the control plane serves the built console (no browser needed): files with their
 * content types, X-Frame-Options and the CSP on every answer, the single-page fallback to
 * index.html, no way out of the console folder,
 * the API untouched, and a one-line page naming `npm run build:console` when there is no build.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startControl, type Control } from '../../src/control/index.js';

async function get(url: string): Promise<{ status: number; type: string; body: string }> {
  const res = await request(url);
  return { status: res.statusCode, type: String(res.headers['content-type'] ?? ''), body: await res.body.text() };
}

describe('console static files', () => {
  let dir: string;
  let built: Control;
  let missing: Control;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verge-console-static-'));
    const dist = join(dir, 'dist');
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(join(dist, 'assets', 'app-1.js'), 'console.log(1)');
    writeFileSync(join(dist, 'assets', 'app-1.css'), 'body{}');
    writeFileSync(join(dir, 'secret.txt'), 'outside the console folder');
    built = await startControl({ port: 0, dataDir: join(dir, 'a'), consoleDir: dist });
    missing = await startControl({ port: 0, dataDir: join(dir, 'b'), consoleDir: join(dir, 'nothing-here') });
  });
  after(async () => {
    await built?.close();
    await missing?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('serves index.html and assets with their content types', async () => {
    const index = await get(built.url + '/');
    assert.equal(index.status, 200);
    assert.match(index.type, /^text\/html/);
    assert.match(index.body, /<title>console<\/title>/);
    const js = await get(built.url + '/assets/app-1.js');
    assert.match(js.type, /^text\/javascript/);
    assert.equal(js.body, 'console.log(1)');
    assert.match((await get(built.url + '/assets/app-1.css')).type, /^text\/css/);
  });

  test('every console answer forbids framing and carries the content security policy', async () => {
    for (const path of ['/', '/assets/app-1.js', '/functions/auth']) {
      const res = await request(built.url + path);
      await res.body.text();
      assert.equal(res.headers['x-frame-options'], 'DENY', path);
      assert.match(String(res.headers['content-security-policy']), /frame-ancestors 'none'/, path);
      assert.match(String(res.headers['content-security-policy']), /script-src 'self'(;|$)/, path);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', path);
    }
    const res = await request(missing.url + '/');
    await res.body.text();
    assert.equal(res.headers['x-frame-options'], 'DENY', 'also the page that says the console is not built');
  });

  test('unknown paths outside /api get index.html; the API keeps its own answers', async () => {
    const deep = await get(built.url + '/functions/auth');
    assert.equal(deep.status, 200);
    assert.match(deep.body, /<title>console<\/title>/);
    const api = await get(built.url + '/api/v1/nope');
    assert.equal(api.status, 404);
    assert.match(api.type, /^application\/json/);
    assert.match((await get(built.url + '/api/v1/healthz')).body, /"status":"ok"/);
    const malformed = await get(built.url + '/bad%E0%A4%A');
    assert.equal(malformed.status, 200);
    assert.match(malformed.body, /<title>console<\/title>/);
  });

  test('no path reaches a file outside the console folder', async () => {
    for (const p of ['/../secret.txt', '/..%2fsecret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const r = await get(built.url + p);
      assert.doesNotMatch(r.body, /outside the console folder/, p);
    }
  });

  test('without a build, / explains how to build the console', async () => {
    const r = await get(missing.url + '/');
    assert.equal(r.status, 503);
    assert.match(r.type, /^text\/html/);
    assert.match(r.body, /npm run build:console/);
  });
});

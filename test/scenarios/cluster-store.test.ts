// Two control replicas on one PostgreSQL database (`verge control --store postgres://…`): what
// one writes the other answers, If-Match holds across them, bundles are served by hash from
// either, concurrent writers on both lose nothing and the snapshot numbers have no gap and no
// duplicate, and a replica whose secret.key differs refuses to start, naming the file to copy.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distribution, startTestControl, taggingSource, type TestControl } from '../../src/control/testing/harness.js';
import { startControl } from '../../src/control/control.js';
import { needs } from '../harness/needs.js';
import { inSchema, missingPostgres, scratchSchema } from '../harness/services.js';

const missing = await missingPostgres();

describe('two control replicas on one PostgreSQL', { skip: needs(missing) }, () => {
  let a: TestControl;
  let b: TestControl;
  let drop: () => Promise<void>;
  let url: string;
  let root: string;

  before(async () => {
    const s = await scratchSchema();
    drop = s.drop;
    url = inSchema(s.schema);
    root = mkdtempSync(join(tmpdir(), 'verge-cluster-'));
    a = await startTestControl({ store: url, dir: join(root, 'a') });
    // The second replica shares the first one's secret key (docs/operations.md).
    mkdirSync(join(root, 'b', 'data'), { recursive: true, mode: 0o700 });
    copyFileSync(join(root, 'a', 'data', 'secret.key'), join(root, 'b', 'data', 'secret.key'));
    b = await startTestControl({ store: url, dir: join(root, 'b'), adminToken: a.adminToken });
    assert.equal(b.control.adminToken, undefined, 'one admin token for the cluster');
  });
  after(async () => {
    await b?.close();
    await a?.close();
    await drop?.();
    rmSync(root, { recursive: true, force: true });
  });

  test('a distribution created through A is answered by B, and If-Match holds across them', async () => {
    assert.equal((await a.api('POST', '/distributions', distribution('shop'))).status, 201);
    const seen = await b.api('GET', '/distributions/shop');
    assert.equal(seen.status, 200);
    assert.equal(seen.headers.get('etag'), '"r1"');
    const put = (t: TestControl) =>
      t.api('PUT', '/distributions/shop', distribution('shop', { comment: 'from ' + t.control.url }), {
        ifMatch: '"r1"',
      });
    assert.equal((await put(a)).status, 200);
    const stale = await put(b);
    assert.equal(stale.status, 412, stale.text);
    assert.equal((await b.api('GET', '/distributions/shop')).headers.get('etag'), '"r2"');
  });

  test('a bundle stored through A is served by hash from B', async () => {
    const created = await a.api('POST', '/functions', {
      name: 'tagger',
      runtime: 'nodejs',
      code: { source: taggingSource('x') },
    });
    assert.equal(created.status, 201, created.text);
    const sha = created.body.codeSha256 as string;
    assert.equal((await b.api('GET', `/edge/bundles/${sha}`)).status, 200);
  });

  test('ten concurrent writers on both replicas: every change lands, snapshots 1..N without gap', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `w${i}`);
    const answers = await Promise.all(
      ids.map((id, i) => (i % 2 === 0 ? a : b).api('POST', '/distributions', distribution(id))),
    );
    assert.deepEqual(
      answers.map((r) => r.status),
      ids.map(() => 201),
    );
    const listed = (await b.api('GET', '/distributions')).body.items.map((d: { id: string }) => d.id);
    for (const id of ids) assert.ok(listed.includes(id), `${id} is listed`);
    const versions = (await a.api('GET', '/deployments?limit=1000')).body.items
      .map((s: { version: number }) => s.version)
      .sort((x: number, y: number) => x - y);
    assert.deepEqual(
      versions,
      Array.from({ length: versions.length }, (_, i) => i + 1),
    );
    assert.ok(versions.length >= 12, `one snapshot per change at least (${versions.length})`);
  });

  test('a replica with another secret.key refuses to start and names the file to copy', async () => {
    const f = await a.api('PATCH', '/functions/tagger', { secrets: { TOKEN: 's3cret' } });
    assert.equal(f.status, 200, f.text);
    assert.equal((await a.api('POST', '/functions/tagger/publish')).status, 201);
    const t = await a.api('POST', '/triggers', {
      distributionId: 'shop',
      behavior: 'default',
      eventType: 'viewer-request',
      function: 'tagger:1',
    });
    assert.equal(t.status, 201, t.text);
    await assert.rejects(
      startControl({ port: 0, dataDir: join(root, 'c'), store: url }),
      (e: Error & { code?: string }) => e.code === 'STORE_UNAVAILABLE' && /copy secret\.key/.test(e.message),
    );
  });
});

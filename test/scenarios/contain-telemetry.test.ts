/**
 * @module test/scenarios/contain-telemetry
 * A tenant's function cannot stop a PoP's telemetry or grow its backlog without bound. A
 * function may log 1 MB per invocation in lines of up to 256 K characters; control characters
 * take 6 bytes each once escaped in JSON, so a dozen such invocations in one flush interval made
 * one log batch larger than the control plane's 72 MiB body limit: it answered 413, the PoP sent
 * the same batch again on every flush, and no log line of any distribution reached the control
 * plane after it. Here the real control plane takes every line of the burst and the quiet line
 * logged after it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { memoryLogger } from '../../src/shared/log.js';
import { compilePlan } from '../../src/edge/config/compile.js';
import { startEdge, type Edge } from '../../src/edge/edge.js';
import { ControlClient } from '../../src/edge/sync/control-client.js';
import { Telemetry } from '../../src/edge/sync/telemetry.js';
import { startTestControl, type TestControl } from '../../src/control/testing/harness.js';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';

/** Lines of 250,000 U+0001 characters: 1.5 MB each as JSON (`\u0001`), four per invocation (1 MB logged). */
const LOUD = `exports.handler = async (event) => {
  const req = event.Records[0].cf.request;
  if (req.uri === '/loud') for (let i = 0; i < 4; i++) console.log('\\u0001'.repeat(250000));
  else console.log('quiet ' + req.uri);
  return req;
};`;

describe('telemetry: a function that logs the most it may', () => {
  let t: TestControl;
  let origin: ScriptedOrigin;
  let edge: Edge;
  let telemetry: Telemetry;
  let dir: string;
  const logger = memoryLogger();

  before(async () => {
    t = await startTestControl();
    const token = (await t.api('POST', '/tokens', { name: 'p1', kind: 'edge', pop: 'p1' })).body.token as string;
    const client = new ControlClient({ url: t.control.url, token });
    await client.register({ pop: 'p1', region: 'r', appliedVersion: 0, edgeVersion: 't' });
    origin = await startOrigin({ '*': { headers: { 'cache-control': 'no-store' }, body: 'ok' } });
    dir = mkdtempSync(join(tmpdir(), 'verge-tel-flood-'));
    writeFileSync(join(dir, 'loud.js'), LOUD);
    const plan = compilePlan([
      {
        baseDir: dir,
        config: {
          id: 'shop',
          aliases: ['shop.test'],
          origins: [{ id: 'o', domainName: '127.0.0.1', port: origin.port, protocol: 'http' }],
          defaultCacheBehavior: {
            targetOriginId: 'o',
            cachePolicy: 'CachingDisabled',
            functionAssociations: [
              { eventType: 'viewer-request', function: { path: 'loud.js', name: 'loud', version: '1' } },
            ],
          },
        },
      },
    ]);
    // Not started: the test flushes by hand, so the whole burst waits for one flush.
    telemetry = new Telemetry({ client, pop: 'p1', logger });
    edge = await startEdge({
      plan,
      host: '127.0.0.1',
      port: 0,
      geo: false,
      accessLog: 'off',
      popId: 'p1',
      logger: telemetry.teeLogger(logger),
      onAccessLog: telemetry.onAccessLog,
    });
  });
  after(async () => {
    await edge?.close();
    await t?.close();
    await origin?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const get = async (path: string) => {
    const r = await request(`${edge.url}${path}`, { headers: { host: 'shop.test' } });
    await r.body.text();
    return r.statusCode;
  };
  const lines = async (): Promise<Array<{ message: string }>> =>
    (await t.api('GET', '/logs?function=loud&limit=1000')).body.items;

  test('a burst of 256 K-character lines is shipped, and so is the line logged after it', async () => {
    for (let i = 0; i < 13; i++) assert.equal(await get('/loud'), 200);
    await telemetry.flush();
    await get('/after');
    await telemetry.flush();
    const got = await lines();
    const warnings = logger.lines.filter((l) => l.level === 'warn').map((l) => `${String(l.msg)} ${String(l.error)}`);
    assert.equal(telemetry.stats().failedFlushes, 0, warnings.join('\n'));
    assert.ok(
      got.some((l) => l.message === 'quiet /after'),
      'the line logged after the burst reached the control plane',
    );
    assert.equal(got.filter((l) => l.message.length === 250_000).length, 52);
    assert.equal(telemetry.stats().buffered, 0);
  });
});

/**
 * @module test/scenarios/contain-origin-egress
 * An origin-request function that points its request at another origin (spec 1.8) no longer
 * gets around its egress policy. Before, a function refused `fetch('http://127.0.0.1:...')`
 * could name that address as `origin.custom` and the PoP fetched it and answered the viewer with
 * it (a loopback service's "other secret"; in a cloud, the metadata service at 169.254.169.254).
 * Now an origin a function chose is judged as its own connection: refused (502, the service
 * never asked) unless public or in its `egress.allow`, and the PoP's own ports are refused
 * whatever the list says; the distribution's configured origins stay reachable.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';

/** Points the request at 127.0.0.1 on the port named by the path's second segment. */
const REPOINT = `
exports.handler = async (event) => {
  const req = event.Records[0].cf.request;
  const port = Number(req.uri.split('/')[2]);
  req.origin = { custom: { domainName: '127.0.0.1', port, protocol: 'http', path: '', sslProtocols: ['TLSv1.2'],
    readTimeout: 5, keepaliveTimeout: 5, customHeaders: {} } };
  return req;
};`;

describe('origin-request functions choosing an origin: the egress policy applies', () => {
  let origin: ScriptedOrigin;
  let other: Server;
  let otherHits = 0;
  let otherPort = 0;
  let te: TestEdge;

  before(async () => {
    origin = await startOrigin({ '*': { body: 'configured origin' } });
    other = createServer((_req, res) => {
      otherHits++;
      res.end('other secret');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    otherPort = (other.address() as AddressInfo).port;
    const repoint = (pathPattern: string, allow?: string[]) => ({
      pathPattern,
      targetOriginId: 'o1',
      cachePolicy: 'CachingDisabled',
      functionAssociations: [
        { eventType: 'origin-request', function: { path: 'functions/repoint.js', ...(allow ? { egress: { allow } } : {}) } }, // prettier-ignore
      ],
    });
    te = await startTestEdge({
      configs: [
        distribution(origin.port, {
          cacheBehaviors: [
            repoint('/r/*'),
            repoint('/allowed/*', [`127.0.0.1:${otherPort}`]),
            repoint('/loopback/*', ['127.0.0.0/8']),
          ],
        }),
      ],
      files: { 'functions/repoint.js': REPOINT },
      adminPort: 0,
    });
  });
  after(async () => {
    await te?.close();
    await origin?.close();
    await new Promise((r) => other?.close(r));
  });

  test('a loopback service the function may not reach is refused, and never asked', async () => {
    const r = await te.get(`/r/${otherPort}`);
    assert.equal(r.status, 502, r.text.slice(0, 200));
    assert.doesNotMatch(r.text, /other secret/);
    assert.equal(otherHits, 0);
    assert.match(
      String(te.accessLog.at(-1)?.['x-edge-error']),
      /^ORIGIN_CONNECT_ERROR: origin 127\.0\.0\.1:\d+ chosen by origin-request function repoint refused: 127\.0\.0\.1:\d+ is a loopback address/,
    );
  });

  test("the PoP's own admin listener is refused even to a function allowed all of loopback", async () => {
    const adminPort = Number(new URL(te.edge.adminUrl!).port);
    for (const prefix of ['r', 'loopback']) {
      const r = await te.get(`/${prefix}/${adminPort}`);
      assert.equal(r.status, 502, `${prefix}: ${r.status} ${r.text.slice(0, 200)}`);
    }
  });

  test('the same origin in the egress allow-list, and a configured origin, are fetched', async () => {
    const allowed = await te.get(`/allowed/${otherPort}`);
    assert.equal(allowed.status, 200);
    assert.equal(allowed.text, 'other secret');
    assert.equal(otherHits, 1);
    const configured = await te.get(`/r/${origin.port}`);
    assert.equal(configured.status, 200);
    assert.equal(configured.text, 'configured origin');
  });
});

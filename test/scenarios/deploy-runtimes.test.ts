/**
 * Every runtime through the real deploy path: a function created through the REST API,
 * published, attached to a behavior, replicated to three `verge edge --control` processes, and
 * a request through each PoP shows the function ran there. One test per runtime: a Node.js
 * package in TypeScript (two modules, a handler in a sub-folder), Python, cloudfront-js-1.0, and
 * cloudfront-js-2.0 reading its KeyValueStore. Before the fix every PoP refused the CloudFront
 * Functions ("index.js:1:3: Expected ';' but found ...": the zip bundle read as JavaScript).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { startFleet, type Fleet } from '../harness/pops.js';
import { until } from '../harness/replication.js';

const POPS = ['p1', 'p2', 'p3'];

const TS_MAIN = `import { stamp } from './stamp';
import type { CloudFrontResponseEvent } from './types';
export const handler = async (event: CloudFrontResponseEvent) => {
  const response = event.Records[0].cf.response;
  response.headers['x-fn'] = [{ key: 'X-Fn', value: stamp('node') }];
  return response;
};
`;
const TS_STAMP = `export function stamp(who: string): string { return who + '-' + (2 * 21 satisfies number); }\n`;
const TS_TYPES = `export interface CloudFrontResponseEvent { Records: Array<{ cf: { response: { headers: Record<string, Array<{ key: string; value: string }>> } } }>; }\n`;

const PYTHON = `def handler(event, context):
    response = event["Records"][0]["cf"]["response"]
    response["headers"]["x-fn"] = [{"key": "X-Fn", "value": "python-" + context.function_version}]
    return response
`;

const CFF1 = `function handler(event) {
  var response = event.response;
  response.headers['x-fn'] = { value: 'cff1-' + event.context.eventType };
  return response;
}
`;

const CFF2 = `import cf from 'cloudfront';
const kvs = cf.kvs();
async function handler(event) {
  const response = event.response;
  response.headers['x-fn'] = { value: 'cff2-' + (await kvs.get('greeting')) };
  return response;
}
`;

describe('deploying each runtime to three PoP processes', () => {
  let fleet: Fleet;
  let origin: ScriptedOrigin;
  const api = (method: string, path: string, body?: unknown) => fleet.t.api(method, path, body);

  before(async () => {
    origin = await startOrigin({ '*': { headers: { 'cache-control': 'no-store' }, body: 'from origin' } });
    fleet = await startFleet({ pops: POPS });
    const r = await api('POST', '/distributions', {
      id: 'shop',
      aliases: ['shop.test'],
      origins: [{ id: 'o', domainName: '127.0.0.1', port: origin.port, protocol: 'http', connectionAttempts: 1 }],
      defaultCacheBehavior: { targetOriginId: 'o', cachePolicy: 'CachingDisabled' },
      cacheBehaviors: ['/node/*', '/py/*', '/cff1/*', '/cff2/*'].map((pathPattern) => ({
        pathPattern,
        targetOriginId: 'o',
        cachePolicy: 'CachingDisabled',
      })),
    });
    assert.equal(r.status, 201, r.text);
  });
  after(async () => {
    await fleet?.close();
    await origin?.close();
  });

  /** Create, publish, attach at viewer-response on `behavior`, then wait until every PoP says `expect`. */
  async function deploy(create: Record<string, unknown>, behavior: string, expect: string): Promise<void> {
    const c = await api('POST', '/functions', create);
    assert.equal(c.status, 201, c.text);
    const v = await api('POST', `/functions/${create.name}/publish`, {});
    assert.equal(v.status, 201, v.text);
    const t = await api('POST', '/triggers', {
      distributionId: 'shop',
      behavior,
      eventType: 'viewer-response',
      function: `${create.name}:${v.body.version}`,
    });
    assert.equal(t.status, 201, t.text);
    const path = behavior.replace('*', 'x');
    try {
      await until(
        `every PoP answering ${path} with X-Fn: ${expect}`,
        async () => {
          const seen = await Promise.all(POPS.map((p) => fleet.get(p, path)));
          return seen.every((r) => r.status === 200 && r.header('x-fn') === expect && r.text === 'from origin');
        },
        60_000,
        100,
      );
    } catch (e) {
      const deps = (await api('GET', '/deployments')).body.items.slice(0, 2);
      throw new Error(`${(e as Error).message}\ndeployments: ${JSON.stringify(deps, null, 1)}`, { cause: e });
    }
    const d = await api('GET', '/distributions/shop');
    await until('shop Deployed', async () => (await api('GET', '/distributions/shop')).body.status === 'Deployed');
    assert.ok(d.body.snapshot > 0);
  }

  test('Node.js: a TypeScript package of three modules with its handler in a sub-folder', async () => {
    await deploy(
      {
        name: 'node-ts',
        runtime: 'nodejs',
        handler: 'src/main.handler',
        code: { files: { 'src/main.ts': TS_MAIN, 'src/stamp.ts': TS_STAMP, 'src/types.ts': TS_TYPES } },
      },
      '/node/*',
      'node-42',
    );
  });

  test('Python', async () => {
    await deploy({ name: 'py', runtime: 'python', code: { source: PYTHON } }, '/py/*', 'python-1');
  });

  test('cloudfront-js-1.0', async () => {
    await deploy(
      { name: 'cff-one', runtime: 'cloudfront-js-1.0', code: { source: CFF1 } },
      '/cff1/*',
      'cff1-viewer-response',
    );
  });

  test('cloudfront-js-2.0 with a KeyValueStore association', async () => {
    assert.equal((await api('POST', '/kvs', { name: 'greetings', data: { greeting: 'hello' } })).status, 201);
    await deploy(
      { name: 'cff-two', runtime: 'cloudfront-js-2.0', kvs: 'greetings', code: { source: CFF2 } },
      '/cff2/*',
      'cff2-hello',
    );
    // A KVS change reaches every PoP without a new function version.
    await api('PUT', '/kvs/greetings/keys/greeting', { value: 'bonjour' });
    await until('every PoP reading the new KVS value', async () => {
      const seen = await Promise.all(POPS.map((p) => fleet.get(p, '/cff2/x')));
      return seen.every((r) => r.header('x-fn') === 'cff2-bonjour');
    }, 30_000, 100); // prettier-ignore
  });
});

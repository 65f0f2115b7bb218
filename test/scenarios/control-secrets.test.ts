// Secrets: encrypted at rest, `***` in every API answer (including the test endpoint's result and
// logs), absent from the control plane's log lines, and delivered in clear only to edge tokens.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { distribution, startTestControl, type TestControl } from '../../src/control/testing/harness.js';

const SECRET = 'sk_live_5ecret-Value-9f8e7d';
const SECRET2 = 'second-secret-ABCDEF-123';

const leaky = `exports.handler = async (event) => {
  const req = event.Records[0].cf.request;
  console.log('using key ' + process.env.API_KEY);
  req.headers['x-api-key'] = [{ key: 'X-Api-Key', value: process.env.API_KEY }];
  return req;
};`;

describe('control plane secrets', () => {
  let t: TestControl;
  let edgeToken: string;
  let snapshot: number;
  before(async () => {
    t = await startTestControl();
  });
  after(() => t.close());

  test('secrets are *** in answers, redacted from test output, and never logged', async () => {
    const c = await t.api('POST', '/functions', {
      name: 'leaky',
      runtime: 'nodejs',
      env: { PLAIN: 'visible' },
      secrets: { API_KEY: SECRET },
      code: { source: leaky },
    });
    assert.equal(c.status, 201);
    assert.deepEqual(c.body.secrets, { API_KEY: '***' });
    assert.equal(c.body.env.PLAIN, 'visible');
    await t.api('PATCH', '/functions/leaky', { secrets: { OTHER: SECRET2 } });
    await t.api('GET', '/functions/leaky');
    await t.api('GET', '/functions');
    await t.api('POST', '/functions/leaky/publish', {});
    await t.api('GET', '/functions/leaky/versions');
    const run = await t.api('POST', '/functions/leaky/test', { eventType: 'viewer-request' });
    assert.equal(run.status, 200);
    assert.deepEqual(run.body.result.headers['x-api-key'], [{ key: 'X-Api-Key', value: '***' }]);
    assert.match(run.body.logs[0].message, /using key \*\*\*/);
    await t.api('POST', '/distributions', distribution('sec'));
    await t.api('POST', '/triggers', {
      distributionId: 'sec',
      behavior: 'default',
      eventType: 'viewer-request',
      function: 'leaky:1',
    });
    snapshot = (await t.api('GET', '/deployments')).body.items[0].version;
    await t.api('GET', '/distributions/sec');
    const admin = await t.api('GET', `/edge/snapshots/${snapshot}`);
    const fn = admin.body.distributions[0].defaultCacheBehavior.functionAssociations[0].function;
    assert.equal(fn.env.API_KEY, '***');
    assert.deepEqual(fn.secretNames.sort(), ['API_KEY', 'OTHER']);
    await t.api('GET', '/openapi.json');
    for (const [i, text] of t.responses.entries()) {
      assert.equal(text.includes(SECRET), false, `response ${i} shows the secret: ${text.slice(0, 200)}`);
      assert.equal(text.includes(SECRET2), false, `response ${i} shows the second secret`);
    }
    const logText = JSON.stringify(t.logger.lines);
    assert.ok(t.logger.lines.length > 5);
    assert.equal(logText.includes(SECRET), false);
    assert.equal(logText.includes(SECRET2), false);
  });

  test('an edge token receives the secret in the snapshot (the edge needs it)', async () => {
    edgeToken = (await t.api('POST', '/tokens', { name: 'e', kind: 'edge', pop: 'p1' })).body.token;
    const r = await t.api('GET', `/edge/snapshots/${snapshot}`, undefined, { token: edgeToken });
    const fn = r.body.distributions[0].defaultCacheBehavior.functionAssociations[0].function;
    assert.equal(fn.env.API_KEY, SECRET);
    assert.equal(fn.env.OTHER, SECRET2);
    assert.equal(fn.env.PLAIN, 'visible');
  });

  test('the secret is not in the data folder in clear (database, WAL, files)', async () => {
    await t.control.close();
    const dir = join(t.dir, 'data');
    for (const name of readdirSync(dir)) {
      const bytes = readFileSync(join(dir, name));
      assert.equal(bytes.includes(Buffer.from(SECRET)), false, `${name} holds the secret`);
      assert.equal(bytes.includes(Buffer.from(SECRET2)), false, `${name} holds the second secret`);
    }
    await t.restart();
    const r = await t.api('GET', `/edge/snapshots/${snapshot}`, undefined, { token: edgeToken });
    assert.equal(
      r.body.distributions[0].defaultCacheBehavior.functionAssociations[0].function.env.API_KEY,
      SECRET,
      'still readable after a restart',
    );
  });

  test('secrets: {K: null} deletes; a name cannot be both env and secret', async () => {
    const both = await t.api('PATCH', '/functions/leaky', { env: { API_KEY: 'x' } });
    assert.equal(both.status, 400);
    assert.equal(both.body.error.fields[0].path, '$.secrets.API_KEY');
    const del = await t.api('PATCH', '/functions/leaky', { secrets: { OTHER: null } });
    assert.deepEqual(del.body.secrets, { API_KEY: '***' });
  });
});

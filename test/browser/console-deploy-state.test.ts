/**
 * @module test/browser/console-deploy-state
 * The console says what happened, in Chromium against a control plane with one registered PoP
 * that acknowledges only when the test says so (no real PoPs: a deploy stays InProgress as long
 * as the test needs).
 * - Add trigger twice on one page: the second snapshot is never shown with the first one's
 *   Deployed badge while it is InProgress. Before, the progress kept the previous report until
 *   the new snapshot's first one arrived (and a replaced watch could still report over it).
 * - Detach on a function's page where the function runs only as another function's canary ends
 *   the canary and leaves that function running. Before, it deleted the whole trigger.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { distribution, startTestControl, taggingSource, type TestControl } from '../../src/control/testing/harness.js';
import { needs } from '../harness/needs.js';
import { launchBrowser, signIn, skipReason, type Browser, type UpProcess } from './harness.js';

const skip = needs(skipReason());

describe('console: deploy progress and Detach follow what the user did', { skip, timeout: 180_000 }, () => {
  let t: TestControl;
  let b: Browser;
  let popToken: string;
  const latest = async () => (await t.api('GET', '/deployments')).body.items[0].version as number;
  const trigger = async (eventType: string) =>
    (await t.api('GET', '/triggers?distributionId=demo')).body.items.find(
      (x: { eventType: string }) => x.eventType === eventType,
    );
  /** The fake PoP acknowledges snapshot `version`, serving demo's generation `version`. */
  const ack = async (version: number) => {
    const demo = { generation: version, wanted: version, ok: true };
    const r = await t.api('POST', '/edge/acks', { pop: 'p1', version, ok: true, distributions: { demo } }, { token: popToken }); // prettier-ignore
    assert.equal(r.status, 204, r.text);
  };

  before(async () => {
    t = await startTestControl();
    assert.equal((await t.api('POST', '/distributions', distribution('demo'))).status, 201);
    for (const [name, tags] of [
      ['f', ['f1', 'f2']],
      ['g', ['g1']],
    ] as const) {
      for (const [i, tag] of tags.entries()) {
        const code = { code: { source: taggingSource(tag) } };
        const r = i === 0
          ? await t.api('POST', '/functions', { name, runtime: 'nodejs', ...code })
          : await t.api('PUT', `/functions/${name}/code`, code); // prettier-ignore
        assert.ok(r.status < 300, r.text);
        assert.equal((await t.api('POST', `/functions/${name}/publish`)).status, 201);
      }
    }
    popToken = (await t.api('POST', '/tokens', { name: 'p1', kind: 'edge', pop: 'p1' })).body.token;
    const reg = { pop: 'p1', region: 'r', appliedVersion: await latest(), edgeVersion: 't' };
    assert.equal((await t.api('POST', '/edge/register', reg, { token: popToken })).status, 200);
    b = await launchBrowser();
    await signIn(b.page, { url: t.control.url, token: t.adminToken } as UpProcess);
  });
  after(async () => {
    await b?.close();
    await t?.close();
  });

  test("Add trigger again: the new snapshot is never shown with the previous one's Deployed", async () => {
    const { page } = b;
    const form = 'form[aria-label="Add trigger"]';
    await page.goto(`${t.control.url}/#/functions/f/trigger?version=1`);
    await page.selectOption(`${form} select[name=distributionId]`, 'demo');
    await page.selectOption(`${form} select[name=eventType]`, 'viewer-request');
    await page.click(`${form} button:has-text("Deploy")`);
    const first = await (async () => {
      await page.locator('.deploy[data-status="InProgress"]').waitFor();
      return latest();
    })();
    await ack(first);
    await page.locator('.deploy[data-status="Deployed"]').waitFor();

    // Hold the new snapshot's first report until the page has been looked at.
    const second = first + 1;
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let held!: () => void;
    const arrived = new Promise<void>((r) => (held = r));
    await page.route(
      (u) => u.pathname === `/api/v1/deployments/${second}`,
      async (route) => {
        held();
        await released;
        await route.continue();
      },
    );
    await page.selectOption(`${form} select[name=version]`, '2');
    await page.click(`${form} button:has-text("Deploy")`);
    await arrived;
    await page.locator('section[aria-label="Propagation"] h2:has-text("Deploying f:2")').waitFor();
    assert.equal(await latest(), second);
    assert.equal(await page.locator('.deploy[data-status="Deployed"]').count(), 0, 'no Deployed before a report');
    assert.match((await page.locator('section[aria-label="Propagation"]').textContent()) ?? '', /Waiting for the first report/); // prettier-ignore
    release();
    await page.locator('.deploy[data-status="InProgress"]').waitFor();
    assert.match((await page.locator('.deploy').textContent()) ?? '', new RegExp(`Snapshot v${second}`));
    assert.equal(await page.locator('.pop[data-pop="p1"][data-state="waiting"]').count(), 1);
    await page.unroute((u) => u.pathname === `/api/v1/deployments/${second}`);
    await ack(second);
    await page.locator('.deploy[data-status="Deployed"]').waitFor();
  });

  test("Detach where the function runs only as another's canary ends the canary; that function keeps running", async () => {
    const where = { distributionId: 'demo', behavior: 'default', eventType: 'origin-request' };
    assert.equal((await t.api('POST', '/triggers', { ...where, function: 'g:1' })).status, 201);
    const c = await t.api('POST', '/triggers', { ...where, function: 'f:2', canary: { percent: 10 } });
    assert.equal(c.status, 201, c.text);
    const { page } = b;
    await page.goto(`${t.control.url}/#/functions/f`);
    const row = page.locator('[data-trigger="demo/default/origin-request"]');
    await row.locator('text=canary version 2 for 10%').waitFor();
    await row.locator('button:has-text("Detach")').click();
    await row.waitFor({ state: 'detached' });
    const after = await trigger('origin-request');
    assert.ok(after, 'the trigger is still there');
    assert.equal(after.id, c.body.id);
    assert.equal(after.function, 'g:1', 'g keeps running for every viewer');
    assert.equal(after.canary.state, 'rolled-back');
    assert.equal((await trigger('viewer-request'))?.function, 'f:2', "f's own trigger is untouched");
    assert.deepEqual(b.errors, []);
  });
});

/**
 * @module test/browser/console-walk
 * Issue 14's walk through the console in Chromium against a real `verge up`, undoing
 * everything it does without the CLI: create a distribution from the form (a bad id refused
 * at its field), create a function (the deploy gate's compile error marked at its line, then
 * fixed), publish and attach it, see it reach every PoP, request
 * through a PoP, find the request in Logs (filtered by distribution) and its trace, publish
 * v2 and Replace the trigger, roll back to v1 on the Deployments page, stage v2 and promote it,
 * a generation a PoP refuses and the distribution's own rollback, a canary that errors and is
 * rolled back by itself (walk-deploys.ts), detach,
 * delete the function and the distribution; PoPs and API tokens (the secret shown once,
 * revoked). Every page is photographed (desktop and 375 px phone) and must not scroll sideways
 * at phone width.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, type VergeClient } from '../../src/client/index.js';
import { getFrom } from '../harness/edge.js';
import { needs } from '../harness/needs.js';
import {
  launchBrowser,
  phoneOverflow,
  shoot,
  signIn,
  skipReason,
  startVergeUp,
  typeInEditor,
  type Browser,
  type UpProcess,
} from './harness.js';
import { canaryStep, refusedAndRolledBackStep, stagingStep, type Walk } from './walk-deploys.js';

const skip = needs(skipReason());
const HOST = 'walk.test';
const FN = 'walk-fn';
const source = (v: string) => `export const handler = async (event) => {
  const request = event.Records[0].cf.request;
  console.log('walk saw ' + request.uri);
  return { status: '200', headers: { 'content-type': [{ key: 'Content-Type', value: 'text/plain' }] }, body: 'walk ${v}' };
};
`;

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('console walk: create, deploy, observe, roll back and undo everything', { skip, timeout: 420_000 }, () => {
  let up: UpProcess;
  let b: Browser;
  let api: VergeClient;
  let requestId = '';
  let snapshotWithV1 = 0;

  before(async () => {
    up = await startVergeUp();
    api = createClient({ url: up.url, token: up.token });
    b = await launchBrowser();
    // The walk is long and the full suite runs beside it on two cores: give each step room.
    b.page.setDefaultTimeout(45_000);
    await signIn(b.page, up);
  });
  after(async () => {
    await b?.close();
    await up?.stop();
  });

  /** Photographs the page and checks it does not scroll sideways at 375 px. */
  async function page(name: string): Promise<void> {
    await shoot(b.page, `walk-${name}`);
    const { over, widest } = await phoneOverflow(b.page);
    assert.equal(over, 0, `${name}: the page scrolls sideways at 375 px, widest: ${widest}`);
  }
  /** A step that fails leaves a picture of where it stopped (`fail-<name>-*.png`). */
  async function onFailureShoot(name: string, step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (e) {
      await shoot(b.page, `fail-${name}`).catch(() => undefined);
      throw e;
    }
  }
  const walk = (): Walk => ({ p: b.page, api, up, host: HOST, fn: FN, source, page, until });
  const bodies = async () => Promise.all(up.popUrls.map((u) => getFrom(u, '127.0.0.1', '/hello', { host: HOST })));

  test('create a distribution from the form; a bad id is refused at its field', async () => {
    const p = b.page;
    const demo = await api.distributions.get('demo');
    const originPort = String(demo.config.origins[0]!.port);
    await page('01-overview');
    await p.click('nav >> text=Distributions');
    await p.click('button:has-text("Create distribution")');
    const form = 'form[aria-label="Create distribution"]';
    await p.fill(`${form} input[name=id]`, 'Walk Shop!');
    await p.fill(`${form} input[name=aliases]`, HOST);
    await p.fill(`${form} input[name=domainName]`, '127.0.0.1');
    await p.fill(`${form} input[name=port]`, originPort);
    await p.selectOption(`${form} select[name=protocol]`, 'http');
    await p.selectOption(`${form} select[name=cachePolicy]`, 'CachingDisabled');
    await p.click(`${form} button:has-text("Create distribution")`);
    await p.locator(`${form} .field-error[data-path="$.id"]`).waitFor();
    await page('02-distribution-create-refused');
    await p.fill(`${form} input[name=id]`, 'walk');
    await p.click(`${form} button:has-text("Create distribution")`);
    await p.locator('h2:has-text("walk")').first().waitFor();
    const d = await api.distributions.get('walk');
    assert.deepEqual(d.config.aliases, [HOST]);
    assert.equal(d.config.origins[0]!.port, Number(originPort));
    await until('walk served by every PoP', async () =>
      (await bodies()).every((r) => r.status === 200) ? true : undefined,
    );
    await page('03-distribution');

    // Edit as JSON: a wrong type is listed by its JSON path; the fix is saved with If-Match.
    await p.click('button:has-text("Edit JSON")');
    const edit = 'form[aria-label="Edit distribution"]';
    const { keyGroups: _filled, ...config } = (await api.distributions.get('walk')).config;
    await typeInEditor(p, edit, JSON.stringify({ ...config, comment: 5 }, null, 2));
    await p.click(`${edit} button:has-text("Save and deploy")`);
    await p.locator(`${edit} .alert li:has-text("$.comment")`).waitFor();
    await page('03a-distribution-edit-refused');
    await typeInEditor(p, edit, JSON.stringify({ ...config, comment: 'edited in the console' }, null, 2));
    await p.click(`${edit} button:has-text("Save and deploy")`);
    await p.locator(edit).waitFor({ state: 'detached' });
    assert.equal((await api.distributions.get('walk')).config.comment, 'edited in the console');
  });

  test('create a function, publish v1, attach it, see it reach every PoP', async () => {
    const p = b.page;
    await p.click('nav >> text=Functions');
    await p.click('button:has-text("Create function")');
    await p.fill('form[aria-label="Create function"] input[name=name]', FN);
    // A compile error at its line: the deploy gate (FUNCTION_CODE_INVALID) refuses the create.
    const broken = source('v1').replace("console.log('walk saw ' + request.uri);", "console.log('walk saw ' + );");
    await typeInEditor(p, 'form[aria-label="Create function"]', broken);
    await p.click('form[aria-label="Create function"] button:has-text("Create function")');
    const problem = p.locator('form[aria-label="Create function"] .editor-problem[data-problem-line="3"]');
    await problem.waitFor();
    assert.match((await problem.textContent()) ?? '', /^Line 3\b/);
    assert.match((await p.locator('.cm-problem-line').textContent()) ?? '', /walk saw ' \+ \)/);
    await page('04a-compile-error-at-line');
    await assert.rejects(api.functions.get(FN), 'nothing was stored');
    await typeInEditor(p, 'form[aria-label="Create function"]', source('v1'));
    assert.equal(await p.locator('.cm-problem-line').count(), 0, 'an edit clears the stale mark');
    await p.click('form[aria-label="Create function"] button:has-text("Create function")');
    await p.locator(`h1:has-text("${FN}")`).waitFor();
    await p.locator('text=Not attached to any distribution').waitFor();
    await p.click('role=tab[name="Versions"]');
    await p.click('button:has-text("Publish new version")');
    await p.locator('tr[data-version="1"]').waitFor();
    assert.match((await p.locator('[data-testid=function-summary]').textContent()) ?? '', /1 version$/);
    await page('04-function-versions');
    await p.click('tr[data-version="1"] button:has-text("Add trigger")');
    const form = 'form[aria-label="Add trigger"]';
    await p.selectOption(`${form} select[name=distributionId]`, 'walk');
    await p.selectOption(`${form} select[name=behavior]`, 'default');
    await p.selectOption(`${form} select[name=eventType]`, 'viewer-request');
    await p.click(`${form} button:has-text("Deploy")`);
    await p.locator('.deploy[data-status="Deployed"]').waitFor({ timeout: 60_000 });
    assert.equal(await p.locator('.pop[data-state="applied"]').count(), 3);
    snapshotWithV1 = (await api.deployments.list())[0]!.version;
    await page('05-trigger-deployed');
    for (const r of await bodies()) assert.equal(r.text, 'walk v1');
  });

  test('a request through a PoP is in Logs (filtered by distribution) with its trace', async () => {
    const r = await getFrom(up.popUrls[2]!, '127.0.0.1', '/walk-me', { host: HOST });
    assert.equal(r.text, 'walk v1');
    requestId = r.header('x-verge-request-id') ?? '';
    assert.ok(requestId);
    const p = b.page;
    await p.click('nav >> text=Logs');
    await p.selectOption('form[aria-label="Log filters"] select[name=distribution]', 'walk');
    await p.click('form[aria-label="Log filters"] button:has-text("Apply filters")');
    const line = p.locator(`.line[data-request-id="${requestId}"]`).first();
    await line.waitFor({ timeout: 30_000 });
    // The filter holds: nothing from the demo distribution is listed.
    const ids = await p.locator('.line').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-request-id')));
    for (const id of ids) {
      const recs = await api.logs.query({ requestId: id ?? '' });
      assert.ok(
        recs.every((x) => !x.distributionId || x.distributionId === 'walk'),
        `${id} is not walk's`,
      );
    }
    await page('06-logs-filtered');
    // By type too: function output only, each line naming the function.
    await p.selectOption('form[aria-label="Log filters"] select[name=type]', 'function');
    await p.click('form[aria-label="Log filters"] button:has-text("Apply filters")');
    await p.locator('.line', { hasText: 'walk saw /walk-me' }).first().waitFor({ timeout: 30_000 });
    // The function's line was already listed before the filter: wait for the filtered list to
    // replace the old one (up to 30 s), then hold every line to the filter.
    const onlyFunctionLines = (ts: string[]) => ts.length > 0 && ts.every((t) => t.includes(`${FN}:1 viewer-request`));
    let texts = await p.locator('.line').allTextContents();
    for (const until = Date.now() + 30_000; !onlyFunctionLines(texts) && Date.now() < until;) {
      await new Promise((r) => setTimeout(r, 100));
      texts = await p.locator('.line').allTextContents();
    }
    assert.ok(onlyFunctionLines(texts), texts.join('\n'));
    await p.selectOption('form[aria-label="Log filters"] select[name=type]', '');
    await p.click('form[aria-label="Log filters"] button:has-text("Apply filters")');
    await line.waitFor({ timeout: 30_000 });
    await line.click();
    await p.locator('li[data-stage="viewer-request"] >> text=walk saw /walk-me').waitFor({ timeout: 30_000 });
    assert.match((await p.locator('li[data-stage="viewer-request"]').textContent()) ?? '', /walk-fn/);
    await page('07-request-trace');
  });

  test('publish v2 and Replace the trigger on the distribution page', async () => {
    const p = b.page;
    await p.goto(`${up.url}/#/functions/${FN}`);
    await p.locator('.cm-content', { hasText: 'walk v1' }).waitFor();
    // Save refuses code that does not load, at its line, and keeps $LATEST as it was.
    await typeInEditor(p, 'form[aria-label="Code"]', source('v2').replace('request.uri', 'request.uri +'));
    await p.click('form[aria-label="Code"] button:has-text("Save")');
    await p.locator('form[aria-label="Code"] .editor-problem').waitFor();
    assert.match((await api.functions.code(FN)).files['index.mjs'] ?? '', /walk v1/);
    await typeInEditor(p, 'form[aria-label="Code"]', source('v2'));
    await p.click('form[aria-label="Code"] button:has-text("Save")');
    await p.locator('text=Saved to $LATEST').waitFor();
    await p.click('role=tab[name="Versions"]');
    await p.click('button:has-text("Publish new version")');
    await p.locator('tr[data-version="2"]').waitFor();
    await p.click('nav >> text=Distributions');
    await p.click('a:has-text("walk")');
    const row = p.locator('[data-dist-trigger="walk/default/viewer-request"]');
    await row.locator('button:has-text("Replace")').click();
    await row.locator('input[name=function]').fill(`${FN}:2`);
    await row.locator('button:has-text("Attach instead")').click();
    await p.locator(`td >> text=${FN}:2`).waitFor();
    await until('v2 on every PoP', async () =>
      (await bodies()).every((r) => r.text === 'walk v2') ? true : undefined,
    );
    await page('08-trigger-replaced');
  });

  test('roll back to the snapshot with v1 on the Deployments page', async () => {
    const p = b.page;
    await p.click('nav >> text=Deployments');
    const row = p.locator(`tr[data-snapshot="${snapshotWithV1}"]`);
    await row.locator(`button:has-text("Roll back to v${snapshotWithV1}")`).click();
    await row.locator('button:has-text("Confirm")').click();
    await p.locator('section[aria-label="Rollback progress"] .deploy[data-status="Deployed"]').waitFor({
      timeout: 60_000,
    });
    await until('v1 on every PoP again', async () =>
      (await bodies()).every((r) => r.text === 'walk v1') ? true : undefined,
    );
    await page('09-rolled-back');
  });

  test('staging: create, route by header, side by side with the primary, promote, discard', async () => {
    await onFailureShoot('staging', () => stagingStep(walk()));
  });

  test('a generation a PoP really refuses: the reason on each page; roll the distribution back', async () => {
    await onFailureShoot('refused', () => refusedAndRolledBackStep(walk()));
  });

  test('canary: started from the Add trigger page, compared live, rolled back by itself', async () => {
    await onFailureShoot('canary', () => canaryStep(walk()));
  });

  test('detach on the function page, then delete the function and the distribution', async () => {
    const p = b.page;
    await p.goto(`${up.url}/#/functions/${FN}`);
    const attached = p.locator('[data-trigger="walk/default/viewer-request"]');
    await attached.waitFor();
    assert.match((await attached.textContent()) ?? '', /version 2/);
    await page('11a-function-attached');
    await attached.locator('button:has-text("Detach")').click();
    await p.locator('text=Not attached to any distribution').waitFor();
    await until('the origin again on every PoP', async () =>
      (await bodies()).every((r) => r.status === 200 && !r.text.startsWith('walk')) ? true : undefined,
    );
    await p.click('button:has-text("Delete function")');
    await p.click('button:has-text("Confirm")');
    await p.locator('h1:has-text("Functions")').waitFor();
    await assert.rejects(api.functions.get(FN), /not found|does not exist/i);

    await p.click('nav >> text=Distributions');
    await p.click('a:has-text("walk")');
    await p.locator('h2:has-text("walk")').first().waitFor();
    await p.click('section.card >> button:has-text("Delete")');
    await p.click('button:has-text("Confirm")');
    await until('walk deleted', async () =>
      (await api.distributions.list()).some((d) => d.id === 'walk') ? undefined : true,
    );
    await page('11b-distribution-deleted');
  });

  test('PoPs with health; an API token shown once, then revoked', async () => {
    const p = b.page;
    await p.click('nav >> text=PoPs');
    await p.locator('tr[data-pop-row]').nth(2).waitFor();
    await page('12-pops');
    await p.click('nav >> text=API tokens');
    await p.fill('form[aria-label="Create token"] input[name=name]', 'walk-ci');
    await p.click('form[aria-label="Create token"] button:has-text("Create token")');
    const secret = (await p.locator('[data-testid=token-secret]').textContent())?.trim() ?? '';
    assert.ok(secret.length > 20);
    // The secret works, and is not in the list.
    await createClient({ url: up.url, token: secret }).pops.list();
    await page('13-token-created');
    // Away and back: the page forgets the secret; the list never had it.
    await p.click('nav >> text=PoPs');
    await p.click('nav >> text=API tokens');
    await p.locator('tr[data-token="walk-ci"]').waitFor({ timeout: 60_000 });
    assert.doesNotMatch(await p.locator('body').innerText(), new RegExp(secret));
    await p.click('tr[data-token="walk-ci"] button:has-text("Revoke")');
    await p.click('tr[data-token="walk-ci"] button:has-text("Confirm")');
    await p.locator('tr[data-token="walk-ci"] >> text=revoked').waitFor();
    await assert.rejects(createClient({ url: up.url, token: secret }).pops.list());
    await page('14-token-revoked');
  });

  test('the other pages fit a phone too, and nothing logged a page error', async () => {
    const p = b.page;
    for (const [nav, name] of [
      ['Overview', '15-overview'],
      ['Functions', '16-functions'],
      ['Metrics', '17-metrics'],
      ['Signing keys', '18-keys'],
      ['Deployments', '19-deployments'],
    ] as const) {
      await p.click(`nav >> text=${nav}`);
      await p.waitForTimeout(500);
      await page(name);
    }
    assert.deepEqual(b.errors, []);
  });
});

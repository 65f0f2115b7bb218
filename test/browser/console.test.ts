/**
 * @module test/browser/console
 * The web console in Chromium against a real `verge up`: sign in, create a function in the
 * editor, publish it, attach it as a viewer-request trigger and watch it reach every PoP,
 * request through an edge and see its effect, find that request in Logs and its invocation in
 * Metrics. Also: every form shows the API's field error next to the field, and a render error
 * shows the friendly boundary, never a stack. Screenshots of every page, desktop and phone,
 * go to test-results/screenshots/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { strToU8, zipSync } from 'fflate';
import { needs } from '../harness/needs.js';
import {
  launchBrowser,
  shoot,
  skipReason,
  startVergeUp,
  typeInEditor,
  type Browser,
  type UpProcess,
} from './harness.js';

const FN = 'console-hello';
const FN_SOURCE = `export const handler = async (event) => {
  const request = event.Records[0].cf.request;
  console.log('console-hello saw ' + request.uri);
  if (request.uri === '/console-hello') {
    return {
      status: '200',
      statusDescription: 'OK',
      headers: { 'content-type': [{ key: 'Content-Type', value: 'text/plain' }] },
      body: 'hello from the console',
    };
  }
  return request;
};
`;

const skip = needs(skipReason());

describe('web console', { skip, timeout: 300_000 }, () => {
  let up: UpProcess;
  let b: Browser;
  let requestId = '';

  before(async () => {
    up = await startVergeUp();
    b = await launchBrowser();
  });
  after(async () => {
    await b?.close();
    await up?.stop();
  });

  const fieldError = (form: string, path: string) =>
    b.page.locator(`form[aria-label="${form}"] .field-error[data-path="${path}"]`);

  test('a bad token is refused next to the field; the admin token signs in', async () => {
    const { page } = b;
    await page.goto(up.url + '/');
    await shoot(page, '01-sign-in');
    await page.fill('input[name=token]', 'vt_not-a-real-token');
    await page.click('button:has-text("Sign in")');
    const err = page.locator('.field-error[data-path="$.token"]');
    await err.waitFor();
    assert.match((await err.textContent()) ?? '', /refused/);
    await page.fill('input[name=token]', up.token);
    await page.click('button:has-text("Sign in")');
    await page.locator('h1:has-text("Overview")').waitFor();
    // Three PoPs from verge up, each with a region and a health badge.
    await page.locator('tr[data-pop]').nth(2).waitFor();
    assert.equal(await page.locator('tr[data-pop]').count(), 3);
    await page.locator('text=demo').first().waitFor();
    await shoot(page, '02-overview');
  });

  test('create a function in the editor, test it, publish version 1', async () => {
    const { page } = b;
    await page.click('nav >> text=Functions');
    await page.click('button:has-text("Create function")');
    await page.fill('form[aria-label="Create function"] input[name=name]', FN);
    await typeInEditor(page, 'form[aria-label="Create function"]', FN_SOURCE);
    await shoot(page, '03-function-create');
    await page.click('form[aria-label="Create function"] button:has-text("Create function")');
    await page.locator(`h1:has-text("${FN}")`).waitFor();
    // The code tab loads $LATEST from the API and shows it in the editor.
    await page.locator('.cm-content', { hasText: 'hello from the console' }).waitFor();
    await shoot(page, '04-function-code');

    await page.click('role=tab[name="Test"]');
    const event = { Records: [{ cf: { config: { eventType: 'viewer-request', requestId: 't' }, request: { clientIp: '203.0.113.10', method: 'GET', uri: '/console-hello', querystring: '', headers: { host: [{ key: 'Host', value: 'example.com' }] } } } }] }; // prettier-ignore
    await typeInEditor(page, 'form[aria-label="Test"]', JSON.stringify(event, null, 2));
    await page.click('form[aria-label="Test"] button:has-text("Test")');
    const output = page.locator('[data-testid=test-output]');
    await output.waitFor();
    assert.match((await output.textContent()) ?? '', /hello from the console/);
    await shoot(page, '05-function-test');

    await page.click('role=tab[name="Versions"]');
    await page.fill('form[aria-label="Publish"] input[name=description]', 'from the browser test');
    await page.click('button:has-text("Publish new version")');
    await page.locator('tr[data-version="1"]').waitFor();
    assert.match((await page.locator('tr[data-version="1"]').textContent()) ?? '', /from the browser test/);
    await shoot(page, '06-function-versions');
  });

  test('add a viewer-request trigger and watch it reach every PoP until Deployed', async () => {
    const { page } = b;
    await page.click('tr[data-version="1"] button:has-text("Add trigger")');
    const form = 'form[aria-label="Add trigger"]';
    await page.locator(form).waitFor();
    await page.selectOption(`${form} select[name=distributionId]`, 'demo');
    await page.selectOption(`${form} select[name=behavior]`, 'default');
    await page.selectOption(`${form} select[name=eventType]`, 'viewer-request');
    await page.click(`${form} button:has-text("Deploy")`);
    await page.locator('.deploy[data-status="Deployed"]').waitFor({ timeout: 60_000 });
    assert.equal(await page.locator('.pop[data-state="applied"]').count(), 3);
    await shoot(page, '07-add-trigger-deployed');
  });

  test('a request through an edge shows the function at work', async () => {
    const res = await fetch(up.popUrls[1] + '/console-hello');
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'hello from the console');
    requestId = res.headers.get('x-verge-request-id') ?? '';
    assert.ok(requestId, 'the edge names the request');
  });

  test('Logs finds that request; the request view shows its path through the events', async () => {
    const { page } = b;
    await page.click('nav >> text=Logs');
    const line = page.locator(`.line[data-request-id="${requestId}"]`).first();
    await line.waitFor({ timeout: 30_000 });
    await shoot(page, '08-logs');
    await line.click();
    const stage = page.locator('li[data-stage="viewer-request"]');
    await stage.waitFor();
    await page
      .locator('li[data-stage="viewer-request"] >> text=console-hello saw /console-hello')
      .waitFor({ timeout: 30_000 });
    assert.match((await stage.textContent()) ?? '', new RegExp(FN));
    await shoot(page, '09-request-view');
  });

  test('Metrics shows the invocation', async () => {
    const { page } = b;
    await page.click('nav >> text=Metrics');
    await page.selectOption('select[name=name]', FN);
    const totalText = page.locator('[data-testid=metrics-total]');
    // Edges ship metric points every second or two; the page reloads them every 5 s.
    const deadline = Date.now() + 45_000;
    let text = '';
    while (Date.now() < deadline) {
      text = (await totalText.textContent().catch(() => '')) ?? '';
      if (/^[1-9]\d* invocations?\b/.test(text)) break;
      await page.waitForTimeout(1000);
    }
    assert.match(text, /^[1-9]\d* invocations?\b/);
    await page.locator('.chart canvas').first().waitFor();
    await shoot(page, '10-metrics');
  });

  test('Distributions shows behaviors, the attached function and invalidations', async () => {
    const { page } = b;
    await page.click('nav >> text=Distributions');
    await page.locator(`td >> text=${FN}:1`).waitFor();
    await page.click('role=tab[name="Invalidations"]');
    await page.fill('form[aria-label="Create invalidation"] input[name=paths]', '/console-hello');
    await page.click('button:has-text("Invalidate")');
    await page.locator('td >> text=/console-hello').waitFor();
    await shoot(page, '11-distributions');
  });

  test('a zip upload with env vars and a secret; the secret is never shown again', async () => {
    const { page } = b;
    const zip = zipSync({ 'index.mjs': strToU8('export const handler = async (e) => e.Records[0].cf.request;\n') });
    await page.click('nav >> text=Functions');
    await page.click('button:has-text("Create function")');
    const form = 'form[aria-label="Create function"]';
    await page.fill(`${form} input[name=name]`, 'console-zip');
    await page.setInputFiles(`${form} input[name=zip]`, {
      name: 'fn.zip',
      mimeType: 'application/zip',
      buffer: Buffer.from(zip),
    });
    await page.fill(`${form} textarea[name=env]`, 'GREETING=hello');
    await page.fill(`${form} textarea[name=secrets]`, 'API_KEY=s3cr3t-value-42');
    await page.click(`${form} button:has-text("Create function")`);
    await page.locator('h1:has-text("console-zip")').waitFor();
    await page.locator('.cm-content', { hasText: 'cf.request' }).waitFor();
    await page.click('role=tab[name="Configuration"]');
    assert.equal(await page.inputValue('form[aria-label="Configuration"] textarea[name=env]'), 'GREETING=hello');
    await page.locator('form[aria-label="Configuration"] code:has-text("API_KEY")').waitFor();
    assert.doesNotMatch(await page.locator('body').innerText(), /s3cr3t-value-42/);
    await shoot(page, '12-function-configuration');
  });

  test('every form shows the API error next to its field', async () => {
    const { page } = b;
    // Create function: a name the API refuses.
    await page.click('nav >> text=Functions');
    await page.click('button:has-text("Create function")');
    // Blueprints fill the editor with an example's source, highlighted for its language.
    await page.selectOption('form[aria-label="Create function"] select[name=blueprint]', 'geo-targeting');
    await page.locator('form[aria-label="Create function"] .cm-content', { hasText: 'EDITIONS' }).waitFor();
    await page.selectOption('form[aria-label="Create function"] select[name=blueprint]', 'python');
    await page.locator('form[aria-label="Create function"] .editor[data-language="python"]').waitFor();
    await page.locator('form[aria-label="Create function"] .cm-content', { hasText: 'def handler' }).waitFor();
    await page.fill('form[aria-label="Create function"] input[name=name]', 'bad name!');
    await page.click('form[aria-label="Create function"] button:has-text("Create function")');
    await fieldError('Create function', '$.name').waitFor();
    assert.match((await fieldError('Create function', '$.name').textContent()) ?? '', /letters, digits/);
    await shoot(page, '13-field-error-create');

    // Configuration: memory that is not a number.
    await page.goto(`${up.url}/#/functions/${FN}`);
    await page.click('role=tab[name="Configuration"]');
    await page.fill('form[aria-label="Configuration"] input[name=memoryMB]', 'lots');
    await page.click('button:has-text("Save configuration")');
    await fieldError('Configuration', '$.memoryMB').waitFor();

    // Test: an event that is not JSON.
    await page.click('role=tab[name="Test"]');
    await typeInEditor(page, 'form[aria-label="Test"]', '{ not json');
    await page.click('form[aria-label="Test"] button:has-text("Test")');
    await fieldError('Test', '$.event').waitFor();

    // Add trigger: no distribution chosen.
    await page.goto(`${up.url}/#/functions/${FN}/trigger`);
    await page.click('form[aria-label="Add trigger"] button:has-text("Deploy")');
    await fieldError('Add trigger', '$.distributionId').waitFor();

    // Log filters: a status that is not one.
    await page.click('nav >> text=Logs');
    await page.fill('form[aria-label="Log filters"] input[name=status]', 'oops');
    await page.click('button:has-text("Apply filters")');
    await fieldError('Log filters', '$.status').waitFor();

    // Invalidation: a path without its leading slash.
    await page.goto(`${up.url}/#/distributions/demo/invalidations`);
    await page.fill('form[aria-label="Create invalidation"] input[name=paths]', 'no-slash');
    await page.click('button:has-text("Invalidate")');
    await fieldError('Create invalidation', '$.paths').waitFor();
    assert.match((await fieldError('Create invalidation', '$.paths').textContent()) ?? '', /must start with/);
    await shoot(page, '14-field-error-invalidation');
  });

  test('a render error shows the friendly boundary, not a stack trace', async () => {
    const { page } = b;
    // An answer of the wrong shape makes the overview throw while rendering.
    await page.route('**/api/v1/pops', (route) =>
      route.fulfill({ status: 200, contentType: 'application/json', body: '{"items":5}' }),
    );
    await page.goto(`${up.url}/#/`);
    await page.reload();
    const boundary = page.locator('.boundary');
    await boundary.waitFor();
    const text = await page.locator('body').innerText();
    assert.match(text, /Something went wrong/);
    assert.doesNotMatch(text, /TypeError|is not a function|\n\s+at /);
    await shoot(page, '15-error-boundary');
    await page.unroute('**/api/v1/pops');
    // The navigation still works.
    await page.click('nav >> text=Functions');
    await page.locator('h1:has-text("Functions")').waitFor();
  });

  test('the console is served unframeable, and everything above ran under its CSP without a violation', async () => {
    const res = await fetch(up.url + '/');
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/, 'no inline or eval scripts');
    assert.deepEqual(b.cspViolations, []);
  });
});

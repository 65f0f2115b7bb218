/**
 * @module test/browser/console-viewer-access
 * Issue 17's console forms in Chromium against a real `verge up` (its PoPs given
 * `--geo-overrides` that place 127.0.0.2 in the US): upload a public key (a bad PEM refused at
 * its field), create a key group, then on the demo distribution set a default root object, a
 * geo block list (a lower-case code refused at its field) and a behavior that trusts the group.
 * The result is checked through the API and through a PoP: `/` serves the root object, a US
 * viewer gets 403, `/api/*` needs a URL signed by @aws-sdk/cloudfront-signer. A key group still
 * trusted cannot be deleted, and the page says why; changing its keys (rotation) makes the old
 * key's URLs 403 at the PoP. Screenshots go to test-results/screenshots/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { createClient, type VergeClient } from '../../src/client/index.js';
import { getFrom } from '../harness/edge.js';
import { needs } from '../harness/needs.js';
import { launchBrowser, shoot, signIn, skipReason, startVergeUp, type Browser, type UpProcess } from './harness.js';

const US_VIEWER = '127.0.0.2';
const skip = needs(skipReason());

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('console: default root object, geo restriction and signed URLs', { skip, timeout: 300_000 }, () => {
  let up: UpProcess;
  let b: Browser;
  let api: VergeClient;
  let dir = '';
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = keys.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const privatePem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const second = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const secondPublic = second.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const secondPrivate = second.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verge-geo-'));
    const geo = join(dir, 'geo.json');
    writeFileSync(geo, JSON.stringify({ [`${US_VIEWER}/32`]: { countryCode: 'US' } }));
    up = await startVergeUp(120_000, ['--geo-overrides', geo]);
    api = createClient({ url: up.url, token: up.token });
    b = await launchBrowser();
    await signIn(b.page, up);
  });
  after(async () => {
    await b?.close();
    await up?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const fieldError = (form: string, path: string) =>
    b.page.locator(`form[aria-label="${form}"] .field-error[data-path="${path}"]`);

  test('upload a public key (a bad PEM is refused at its field) and create a key group', async () => {
    const { page } = b;
    await page.click('nav >> text=Signing keys');
    const keyForm = 'form[aria-label="Upload public key"]';
    await page.fill(`${keyForm} input[name=name]`, 'signer-1');
    await page.fill(
      `${keyForm} textarea[name=encodedKey]`,
      '-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----',
    );
    await page.click(`${keyForm} button:has-text("Upload key")`);
    await fieldError('Upload public key', '$.encodedKey').waitFor();
    assert.match((await fieldError('Upload public key', '$.encodedKey').textContent()) ?? '', /PEM|RSA/);
    await page.fill(`${keyForm} textarea[name=encodedKey]`, publicPem);
    await page.click(`${keyForm} button:has-text("Upload key")`);
    await page.locator('tr[data-public-key="signer-1"]').waitFor();

    const groupForm = 'form[aria-label="Create key group"]';
    await page.fill(`${groupForm} input[name=name]`, 'signers');
    await page.check(`${groupForm} input[name=publicKeyIds]`);
    await page.click(`${groupForm} button:has-text("Create key group")`);
    await page.locator('tr[data-key-group="signers"]').waitFor();
    const [group] = await api.keyGroups.list();
    const [key] = await api.publicKeys.list();
    assert.deepEqual(group?.publicKeyIds, [key?.id]);
    await shoot(page, 'va-01-signing-keys');
  });

  test('set root object, geo block list and a trusted key group on the demo distribution', async () => {
    const { page } = b;
    await page.click('nav >> text=Distributions');
    await page.click('role=tab[name="Settings"]');
    const form = 'form[aria-label="Viewer access"]';
    await page.locator(form).waitFor();
    await page.fill(`${form} input[name=defaultRootObject]`, 'hello');
    await page.selectOption(`${form} select[name=restrictionType]`, 'blocklist');
    await page.fill(`${form} input[name=locations]`, 'us');
    await page.check(`${form} input[name="trustedKeyGroups:/api/*"]`);
    await page.click(`${form} button:has-text("Save viewer access")`);
    const geoError = fieldError('Viewer access', '$.restrictions.geoRestriction.locations');
    await geoError.waitFor();
    assert.match((await geoError.textContent()) ?? '', /did you mean "US"/);
    await shoot(page, 'va-02-distribution-refused');
    // Nothing was stored by the refused save.
    assert.equal((await api.distributions.get('demo')).config.defaultRootObject, undefined);

    await page.fill(`${form} input[name=locations]`, 'US');
    await page.click(`${form} button:has-text("Save viewer access")`);
    await page.locator(`${form} [role=status]:has-text("Saved")`).waitFor();
    await shoot(page, 'va-03-distribution-saved');
    // The Behaviors tab names the key group its behavior now trusts.
    await page.click('role=tab[name="Behaviors"]');
    await page.locator('td >> text=signed only: signers').waitFor();

    const d = await api.distributions.get('demo');
    const [group] = await api.keyGroups.list();
    assert.equal(d.config.defaultRootObject, 'hello');
    assert.deepEqual(d.config.restrictions, { geoRestriction: { restrictionType: 'blocklist', locations: ['US'] } });
    assert.deepEqual(d.config.cacheBehaviors?.[0]?.trustedKeyGroups, [group!.id]);
    assert.equal(d.config.defaultCacheBehavior.trustedKeyGroups, undefined);
  });

  test('through a PoP: root object on /, a US viewer blocked, /api/* needs a signed URL', async () => {
    const pop = up.popUrls[0]!;
    await until('demo Deployed', async () =>
      (await api.distributions.get('demo')).status === 'Deployed' ? true : undefined,
    );
    const home = await until('the root object on /', async () => {
      const r = await getFrom(pop, '127.0.0.1', '/');
      return r.text.startsWith('hello from the origin') ? r : undefined;
    });
    assert.equal(home.status, 200);
    const blocked = await getFrom(pop, US_VIEWER, '/hello');
    assert.equal(blocked.status, 403);
    assert.equal(blocked.header('x-cache'), 'Error from verge');

    const unsigned = await getFrom(pop, '127.0.0.1', '/api/time');
    assert.equal(unsigned.status, 403);
    const [key] = await api.publicKeys.list();
    const signed = getSignedUrl({
      url: `${pop}/api/time`,
      keyPairId: key!.id,
      privateKey: privatePem,
      dateLessThan: new Date(Date.now() + 3600_000).toISOString(),
    });
    const ok = await getFrom(pop, '127.0.0.1', signed.slice(pop.length));
    assert.equal(ok.status, 200, ok.text);
    assert.match(ok.text, /"time"/);
  });

  test('a key group a behavior trusts cannot be deleted, and the page says why', async () => {
    const { page } = b;
    await page.click('nav >> text=Signing keys');
    await page.click('tr[data-key-group="signers"] button:has-text("Delete")');
    const alert = page.locator('.alert', { hasText: 'trusted by' });
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /demo/);
    assert.equal((await api.keyGroups.list()).length, 1);
    await shoot(page, 'va-04-key-group-in-use');
  });

  test("rotate: the group's keys changed in the console; the old key's URLs are refused at the PoP", async () => {
    const { page } = b;
    const keyForm = 'form[aria-label="Upload public key"]';
    await page.fill(`${keyForm} input[name=name]`, 'signer-2');
    await page.fill(`${keyForm} textarea[name=encodedKey]`, secondPublic);
    await page.click(`${keyForm} button:has-text("Upload key")`);
    await page.locator('tr[data-public-key="signer-2"]').waitFor();
    const row = page.locator('tr[data-key-group="signers"]');
    await row.locator('button:has-text("Change keys")').click();
    await row.locator('label.check:has-text("signer-1") input').uncheck();
    await row.locator('label.check:has-text("signer-2") input').check();
    await row.locator('button:has-text("Save keys")').click();
    // The row shows the group as reloaded after the save: signer-2 only.
    await page.locator('tr[data-key-group="signers"]', { hasText: 'signer-2 Change keys' }).waitFor();
    assert.doesNotMatch((await row.textContent()) ?? '', /signer-1/);
    await shoot(page, 'va-05-key-rotated');

    const keys = await api.publicKeys.list();
    const id = (name: string) => keys.find((k) => k.name === name)!.id;
    const [group] = await api.keyGroups.list();
    assert.deepEqual(group!.publicKeyIds, [id('signer-2')]);
    const pop = up.popUrls[1]!;
    const signed = (keyPairId: string, privateKey: string) =>
      getSignedUrl({
        url: `${pop}/api/time`,
        keyPairId,
        privateKey,
        dateLessThan: new Date(Date.now() + 3600_000).toISOString(),
      }).slice(pop.length);
    await until('the new key opens /api/* at the PoP', async () =>
      (await getFrom(pop, '127.0.0.1', signed(id('signer-2'), secondPrivate))).status === 200 ? true : undefined,
    );
    assert.equal((await getFrom(pop, '127.0.0.1', signed(id('signer-1'), privatePem))).status, 403);
    assert.deepEqual(b.errors, []);
  });
});

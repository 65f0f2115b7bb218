/**
 * @module test/browser/walk-deploys
 * The safe-deploy steps of the console walk (console-walk.test.ts), on the same `verge up`:
 * staging (create, route by header, side by side, promote, discard), a generation a PoP really
 * refuses (a live bundle damaged on disk, which only the PoP's hash check sees) with the reason
 * and the last-known-good generation on the distribution's pages, and the per-distribution
 * rollback from its Deploys tab. Each step clicks what a person would and
 * checks the PoPs' answers, not only the page.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Page } from 'playwright-core';
import type { VergeClient } from '../../src/client/index.js';
import { getFrom } from '../harness/edge.js';
import { typeInEditor, type UpProcess } from './harness.js';

export interface Walk {
  p: Page;
  api: VergeClient;
  up: UpProcess;
  host: string;
  fn: string;
  source: (v: string) => string;
  /** Photographs the page (desktop and phone) and holds it to the phone-width rule. */
  page: (name: string) => Promise<void>;
  until: <T>(what: string, fn: () => Promise<T | undefined>, ms?: number) => Promise<T>;
}

const HEADER = 'aws-cf-cd-walk';

async function texts(w: Walk, path: string, headers: Record<string, string> = {}): Promise<string[]> {
  const rs = await Promise.all(w.up.popUrls.map((u) => getFrom(u, '127.0.0.1', path, { host: w.host, ...headers })));
  return rs.map((r) => r.text);
}

async function openDistribution(w: Walk, id: string, tab?: string): Promise<void> {
  await w.p.goto(`${w.up.url}/#/distributions/${id}`);
  await w.p.locator(`h2:has-text("${id}")`).first().waitFor();
  if (tab) await w.p.click(`role=tab[name="${tab}"]`);
}

/**
 * Staging: create it from walk's Staging tab, give it FN:2 (walk serves FN:1), route by header
 * (a name without `aws-cf-cd-` is refused at its field), see requests with the header reach
 * staging on every PoP and both sides' numbers, promote (walk serves FN:2), discard.
 */
export async function stagingStep(w: Walk): Promise<void> {
  const { p } = w;
  await openDistribution(w, 'walk', 'Staging');
  await p.click('button:has-text("Create staging distribution")');
  await p.locator('[data-testid=staging-routing]').waitFor();
  await p.click('[data-testid=staging-routing] a:has-text("walk-staging")');
  await p.locator('h2:has-text("walk-staging")').first().waitFor();
  const row = p.locator('[data-dist-trigger="walk-staging/default/viewer-request"]');
  await row.locator('button:has-text("Replace")').click();
  await row.locator('input[name=function]').fill(`${w.fn}:2`);
  await row.locator('button:has-text("Attach instead")').click();
  await p.locator(`td >> text=${w.fn}:2`).waitFor();

  await openDistribution(w, 'walk', 'Staging');
  const form = 'form[aria-label="Staging routing"]';
  await p.fill(`${form} input[name=headerName]`, 'x-walk');
  await p.fill(`${form} input[name=headerValue]`, 'yes');
  await p.click(`${form} button:has-text("Route to staging")`);
  const bad = p.locator(`${form} .field-error`);
  await bad.waitFor();
  assert.match((await bad.textContent()) ?? '', /aws-cf-cd-/);
  await p.fill(`${form} input[name=headerName]`, HEADER);
  await p.click(`${form} button:has-text("Route to staging")`);
  await p.locator(`[data-testid=staging-routing] >> text=${HEADER}: yes`).waitFor();
  await w.until('the header reaches staging on every PoP, the rest the primary', async () => {
    const [staged, primary] = await Promise.all([texts(w, '/s', { [HEADER]: 'yes' }), texts(w, '/s')]);
    return staged.every((t) => t === 'walk v2') && primary.every((t) => t === 'walk v1') ? true : undefined;
  });
  // Both sides' requests reach the side-by-side view (PoPs send metrics every 10 s).
  await w.until(
    'staging requests in the side-by-side numbers',
    async () => {
      await texts(w, '/s', { [HEADER]: 'yes' });
      const v = await w.api.distributions.staging.get('walk');
      return v.metrics.staging.requests > 0 && v.metrics.primary.requests > 0 ? true : undefined;
    },
    90_000,
  );
  const stagingRequests = p.locator('tr[data-metric="Requests"] td').nth(1);
  await w.until('the page shows them', async () =>
    Number(await stagingRequests.textContent()) > 0 ? true : undefined,
  );
  await w.page('09a-staging-side-by-side');

  await p.click(`${form} button:has-text("Promote")`);
  await p.click(`${form} button:has-text("Confirm")`);
  await w.until('walk serves the promoted v2 on every PoP', async () =>
    (await texts(w, '/s')).every((t) => t === 'walk v2') ? true : undefined,
  );
  await p.click(`${form} button:has-text("Discard")`);
  await p.click(`${form} button:has-text("Confirm")`);
  await p.locator('button:has-text("Create staging distribution")').waitFor();
  assert.ok(!(await w.api.distributions.list()).some((d) => d.id === 'walk-staging'));
  assert.equal((await w.api.distributions.get('walk')).config.continuousDeployment, undefined);
  await w.page('09b-staging-promoted-and-discarded');
}

/** Flips the middle byte of a file's contents. */
function flipped(data: Buffer): Buffer {
  const bad = Buffer.from(data);
  bad[bad.length >> 1] = bad[bad.length >> 1]! ^ 0xff;
  return bad;
}

/**
 * Damages bundle `sha256` where a PoP gets it: in the control plane's database and in one PoP's
 * own copy on disk (`<data-dir>/edge-<pop>/bundles`). Neither hashes to `sha256` any more.
 * Returns the repair: the control plane's copy put back (the PoP fetches it again when needed).
 */
function corruptBundle(up: UpProcess, pop: string, sha256: string): () => void {
  const onPop = join(up.dataDir, `edge-${pop}`, 'bundles', `${sha256}.zip`);
  writeFileSync(onPop, flipped(readFileSync(onPop)));
  const write = (change: (data: Buffer) => Buffer) => {
    const db = new Database(join(up.dataDir, 'verge.db'));
    try {
      db.pragma('busy_timeout = 5000');
      const row = db.prepare('SELECT data FROM blobs WHERE sha256 = ?').get(sha256) as { data: Buffer } | undefined;
      assert.ok(row, `bundle ${sha256} is stored`);
      db.prepare('UPDATE blobs SET data = ? WHERE sha256 = ?').run(change(row.data), sha256);
    } finally {
      db.close();
    }
  };
  write(flipped);
  // Flipping the same byte again restores it.
  return () => write(flipped);
}

/**
 * A real refusal: v3 is attached and live everywhere, then its bundle is damaged on the control
 * plane's disk and on one PoP's disk (what a bad sector does). The next change to walk (a comment,
 * saved from Edit JSON) makes a generation that PoP must check its copy for: it fails the hash,
 * the fetch again fails it too, so the PoP refuses walk's new generation and keeps serving the
 * one before (v3 stays loaded) while the other two go live. The distribution's header, its
 * Deploys tab and the overview say so and why. Then the Deploys tab rolls walk alone back to v2.
 */
export async function refusedAndRolledBackStep(w: Walk): Promise<void> {
  const { p, api } = w;
  await p.goto(`${w.up.url}/#/functions/${w.fn}`);
  await p.locator('.cm-content', { hasText: 'walk v' }).waitFor();
  await typeInEditor(p, 'form[aria-label="Code"]', w.source('v3'));
  await p.click('form[aria-label="Code"] button:has-text("Save")');
  await p.locator('text=Saved to $LATEST').waitFor();
  await p.click('role=tab[name="Versions"]');
  await p.click('button:has-text("Publish new version")');
  await p.locator('tr[data-version="3"]').waitFor();
  const v3 = (await api.functions.get(w.fn)).versions!.find((v) => v.version === 3)!;
  const withV2 = (await api.distributions.get('walk')).generation;

  await openDistribution(w, 'walk');
  const row = p.locator('[data-dist-trigger="walk/default/viewer-request"]');
  await row.locator('button:has-text("Replace")').click();
  await row.locator('input[name=function]').fill(`${w.fn}:3`);
  await row.locator('button:has-text("Attach instead")').click();
  await w.until('v3 on every PoP', async () =>
    (await texts(w, '/v3')).every((t) => t === 'walk v3') ? true : undefined,
  );
  const withV3 = (await api.distributions.get('walk')).generation;
  const [bad, ...good] = (await api.pops.list()).map((x) => x.id).sort();
  const repair = corruptBundle(w.up, bad!, v3.sha256);

  await p.click('button:has-text("Edit JSON")');
  const edit = 'form[aria-label="Edit distribution"]';
  const { keyGroups: _filled, ...config } = (await api.distributions.get('walk')).config;
  await typeInEditor(p, edit, JSON.stringify({ ...config, comment: 'changed after the damage' }, null, 2));
  await p.click(`${edit} button:has-text("Save and deploy")`);
  await p.locator(edit).waitFor({ state: 'detached' });
  const refused = await w.until(`${bad} refuses walk's new generation`, async () => {
    const d = await api.distributions.get('walk');
    const others = good.every((g) => d.pops[g]?.status === 'Deployed');
    return d.pops[bad!]?.status === 'Refused' && others ? d : undefined;
  });
  assert.ok(refused.generation > withV3);
  assert.equal(refused.pops[bad!]!.generation, withV3, 'the refusing PoP keeps the generation before');
  assert.match(refused.pops[bad!]!.error ?? '', /sha256/);
  // Last known good: every PoP still answers with v3 (the refusing one from the generation before).
  assert.deepEqual(await texts(w, '/lkg'), ['walk v3', 'walk v3', 'walk v3']);

  const alert = p.locator('[data-testid=refusal]');
  await alert.waitFor();
  assert.match((await alert.textContent()) ?? '', new RegExp(`refused by ${bad}.*sha256`, 's'));
  await p.click('role=tab[name="Deploys"]');
  const badRow = p.locator(`tr[data-pop-state="${bad}"][data-state="Refused"]`);
  await badRow.waitFor();
  assert.equal(await badRow.locator('td.mono').textContent(), `g${withV3} (last known good)`);
  assert.equal(await p.locator('tr[data-pop-state][data-state="Deployed"]').count(), 2);
  // The reason (a bundle name and two hashes) wraps inside its cell.
  const reason = await badRow.locator('.field-error').boundingBox();
  assert.ok(reason && reason.width < 700, `the refusal is ${reason?.width} px wide`);
  await w.page('09c-distribution-refused');
  await p.click('nav >> text=Overview');
  await p.locator(`[data-testid=refusal] [data-refused="${bad}"]`).waitFor();
  await w.page('09d-overview-refused');

  await openDistribution(w, 'walk', 'Deploys');
  await p.click(`tr[data-generation="${withV2}"] button:has-text("Roll back to g${withV2}")`);
  await p.click(`tr[data-generation="${withV2}"] button:has-text("Confirm")`);
  await p.locator('[aria-label="Rollback progress"] .deploy[data-status="Deployed"]').waitFor({ timeout: 60_000 });
  const after = await api.distributions.get('walk');
  assert.ok(after.generation > refused.generation, 'the rollback is a new generation');
  assert.ok(Object.values(after.pops).every((s) => s.status === 'Deployed' && s.generation === after.generation));
  assert.deepEqual(
    (await api.triggers.list('walk')).map((t) => `${t.eventType} ${t.function}`),
    [`viewer-request ${w.fn}:2`],
  );
  await w.until('v2 on every PoP again', async () =>
    (await texts(w, '/v2')).every((t) => t === 'walk v2') ? true : undefined,
  );
  await p.locator('tr[data-pop-state][data-state="Deployed"]').nth(2).waitFor();
  assert.equal(await p.locator('[data-testid=refusal]').count(), 0);
  await w.page('09e-distribution-rolled-back');
  // The disk is mended: $LATEST (the same package as v3) reads whole again for the next steps.
  repair();
}

/** Requests as `viewers` different viewers (the `verge-viewer` cookie), spread over the PoPs. */
async function asViewers(w: Walk, viewers: number, from: number): Promise<Array<{ status: number; text: string }>> {
  const out: Array<{ status: number; text: string }> = [];
  for (let i = 0; i < viewers; i += 10) {
    const batch = Array.from({ length: Math.min(10, viewers - i) }, (_, j) => from + i + j);
    out.push(
      ...(await Promise.all(
        batch.map((n) =>
          getFrom(w.up.popUrls[n % w.up.popUrls.length]!, '127.0.0.1', `/canary/${n}`, {
            host: w.host,
            cookie: `verge-viewer=walk-viewer-${n}`,
          }),
        ),
      )),
    );
  }
  return out;
}

/**
 * Canary: v4 throws on every request. Started from the Add trigger page at 50% with
 * auto-rollback, only its share of viewers gets errors; the control plane rolls it back by itself,
 * the canary card shows the two versions' error rate and p99 side by side and the rollback as an
 * event, and the deploy history carries it. Every viewer gets v2 again.
 */
export async function canaryStep(w: Walk): Promise<void> {
  const { p, api } = w;
  await p.goto(`${w.up.url}/#/functions/${w.fn}`);
  await p.locator('.cm-content', { hasText: 'walk v' }).waitFor();
  const broken = "export const handler = async () => {\n  throw new Error('walk v4 breaks every request');\n};\n";
  await typeInEditor(p, 'form[aria-label="Code"]', broken);
  await p.click('form[aria-label="Code"] button:has-text("Save")');
  await p.locator('text=Saved to $LATEST').waitFor();
  await p.click('role=tab[name="Versions"]');
  await p.click('button:has-text("Publish new version")');
  await p.locator('tr[data-version="4"]').waitFor();

  await p.click('tr[data-version="4"] button:has-text("Add trigger")');
  const form = 'form[aria-label="Add trigger"]';
  await p.selectOption(`${form} select[name=distributionId]`, 'walk');
  await p.selectOption(`${form} select[name=behavior]`, 'default');
  await p.selectOption(`${form} select[name=eventType]`, 'viewer-request');
  await p.selectOption(`${form} select[name=version]`, '4');
  await p.locator(`${form} >> text=${w.fn}:2 runs here now.`).waitFor();
  await p.check(`${form} input[name=canary]`);
  // Steps that do not end at 100 are refused at their field; nothing starts.
  await p.fill(`${form} input[name=percent]`, '50');
  await p.fill(`${form} input[name=steps]`, '50, 80');
  await p.click(`${form} button:has-text("Start canary")`);
  await p.locator(`${form} .field-error[data-path="$.canary.steps"]`).waitFor();
  assert.equal((await api.triggers.list('walk'))[0]!.canary, null);
  await p.fill(`${form} input[name=steps]`, '');
  assert.ok(await p.isChecked(`${form} input[name=autoRollback]`), 'auto-rollback is on by default');
  await p.click(`${form} button:has-text("Start canary")`);
  const card = p.locator(`section[aria-label="Canary ${w.fn}:4"]`);
  await card.waitFor();
  await card.locator('.split-part.new >> text=50%').waitFor();
  await p.locator('.deploy[data-status="Deployed"]').waitFor({ timeout: 60_000 });
  await w.page('10-canary-started');
  // The distribution's Behaviors tab shows the split on the trigger and the same canary card.
  await openDistribution(w, 'walk');
  await p
    .locator('[data-dist-trigger="walk/default/viewer-request"] [data-split]', { hasText: `${w.fn}:4 50%` })
    .waitFor();
  await card.waitFor();

  // Only the canary's share of viewers sees its errors, until the control plane rolls it back.
  let viewer = 0;
  const seen = await asViewers(w, 60, viewer);
  viewer += 60;
  const failed = seen.filter((r) => r.status >= 500).length;
  assert.ok(failed > 0 && failed < seen.length, `${failed} of ${seen.length} viewers got an error`);
  assert.ok(seen.some((r) => r.text === 'walk v2'));
  await w.until(
    'the canary rolled back by itself',
    async () => {
      const [t] = await api.triggers.list('walk');
      if (t?.canary?.state === 'rolled-back') return true;
      await asViewers(w, 20, viewer);
      viewer += 20;
      return undefined;
    },
    120_000,
  );
  await card.locator('[data-testid=canary-rolled-back]').waitFor();
  assert.match(
    (await card.locator('[data-testid=canary-rolled-back]').textContent()) ?? '',
    /rolled back to walk-fn:2/,
  );
  await card.locator('li[data-event="rolled-back"]').waitFor();
  await w.until('every viewer gets v2 again', async () =>
    (await asViewers(w, 30, viewer)).every((r) => r.text === 'walk v2') ? true : undefined,
  );
  // The comparison has both versions' numbers (the chart lines come from these).
  const m = await api.metrics.query({ kind: 'function', name: w.fn, version: 4, since: Date.now() - 600_000 });
  assert.ok(m.some((s) => (s.total?.invocations ?? 0) > 0 && Object.keys(s.total?.errors ?? {}).length > 0));
  await p.waitForTimeout(5500); // one more poll of the charts after the last requests
  await w.page('10a-canary-rolled-back');

  await p.click('nav >> text=Deployments');
  const event = p.locator('td', { hasText: `canary ${w.fn}:4 on walk` }).first();
  await event.waitFor();
  assert.match((await p.locator('tbody tr').first().textContent()) ?? '', /rolled back to walk-fn:2/);
  await w.page('10b-deployments-canary-event');
}

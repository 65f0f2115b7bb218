/**
 * @module control/domain/staging
 * Staging distributions (CloudFront continuous deployment, peers 2.2), as store changes made
 * inside `App.change`: create copies a primary (config and triggers) into `<primary>-staging`
 * with its own id, domain name and cache and no aliases; route sets the primary's
 * `continuousDeployment` (a header or a weight); promote copies the staging config and triggers
 * onto the primary (one new generation for it); discard deletes the staging distribution and
 * the routing. Every refusal names the problem and the next step and changes nothing.
 */
import { randomUUID } from 'node:crypto';
import type { ContinuousDeploymentConfig, DistributionConfig } from '../../shared/config/types.js';
import { VergeError } from '../../shared/errors.js';
import { validationError } from './validation.js';
import type { DistributionRecord, Store } from '../store/types.js';
import { checkConfig } from './distributions.js';

export function stagingIdOf(primaryId: string): string {
  return `${primaryId}-staging`;
}

/** The primary named in the URL: it must exist and not itself be a staging distribution. */
export async function getPrimary(store: Store, id: string): Promise<DistributionRecord> {
  const d = await store.distributions.get(id);
  if (!d)
    throw new VergeError(
      'NOT_FOUND',
      `distribution ${id} does not exist, so it cannot have a staging distribution; create it first (verge distributions create) or check the id (verge distributions list)`,
    );
  if (d.config.staging)
    throw validationError([{ path: '$.id', message: `${id} is a staging distribution; name its primary instead` }]);
  return d;
}

/** The staging distribution of `primary`, or a refusal saying there is nothing staged. */
export async function getStaging(
  store: Store,
  primary: DistributionRecord,
  action: string,
): Promise<DistributionRecord> {
  const sid = primary.config.continuousDeployment?.stagingDistributionId ?? stagingIdOf(primary.id);
  const s = await store.distributions.get(sid);
  if (!s || !s.config.staging)
    throw new VergeError(
      'NOT_FOUND',
      `nothing is staged for ${primary.id}, so there is nothing to ${action}: create a staging distribution first (verge staging create ${primary.id})`,
    );
  return s;
}

async function copyTriggers(store: Store, from: string, to: string, now: number): Promise<void> {
  for (const t of await store.triggers.list({ distributionId: to })) await store.triggers.delete(t.id);
  for (const t of await store.triggers.list({ distributionId: from }))
    await store.triggers.replace({
      ...t,
      id: `trg_${randomUUID().replace(/-/g, '').slice(0, 16)}`,
      distributionId: to,
      revision: 1,
      createdAt: now,
      // A canary copied along runs on its own in the copy: its own id keeps its numbers apart.
      canary: t.canary && { ...t.canary, id: `can_${randomUUID().replace(/-/g, '').slice(0, 12)}` },
    });
}

export async function createStaging(store: Store, primaryId: string, now: number): Promise<DistributionRecord> {
  const primary = await getPrimary(store, primaryId);
  const id = stagingIdOf(primary.id);
  if (await store.distributions.get(id))
    throw new VergeError(
      'ALREADY_EXISTS',
      `${primary.id} already has a staging distribution (${id}); change it, promote it or discard it (verge staging discard ${primary.id})`,
    );
  const config: DistributionConfig = structuredClone(primary.config);
  config.id = id;
  config.staging = true;
  delete config.aliases;
  delete config.domainName;
  delete config.continuousDeployment;
  const checked = await checkConfig(store, config);
  const rec: DistributionRecord = { id, config: checked, revision: 1, changedIn: 0, createdAt: now, updatedAt: now };
  await store.distributions.insert(rec);
  await copyTriggers(store, primary.id, id, now);
  return rec;
}

export async function routeStaging(
  store: Store,
  primaryId: string,
  routing: Pick<ContinuousDeploymentConfig, 'header' | 'weight'>,
  now: number,
): Promise<DistributionRecord> {
  const primary = await getPrimary(store, primaryId);
  const staging = await getStaging(store, primary, 'route to');
  const config = structuredClone(primary.config);
  config.continuousDeployment = { stagingDistributionId: staging.id, ...routing };
  const checked = await checkConfig(store, config, primary.id);
  const next = { ...primary, config: checked, revision: primary.revision + 1, updatedAt: now };
  await store.distributions.update(next);
  return next;
}

export async function promoteStaging(store: Store, primaryId: string, now: number): Promise<DistributionRecord> {
  const primary = await getPrimary(store, primaryId);
  const staging = await getStaging(store, primary, 'promote');
  const config: DistributionConfig = structuredClone(staging.config);
  config.id = primary.id;
  delete config.staging;
  if (primary.config.aliases) config.aliases = [...primary.config.aliases];
  if (primary.config.domainName) config.domainName = primary.config.domainName;
  if (primary.config.continuousDeployment) config.continuousDeployment = primary.config.continuousDeployment;
  const checked = await checkConfig(store, config, primary.id);
  const next = { ...primary, config: checked, revision: primary.revision + 1, updatedAt: now };
  await store.distributions.update(next);
  await copyTriggers(store, staging.id, primary.id, now);
  return next;
}

export async function discardStaging(store: Store, primaryId: string, now: number): Promise<void> {
  const primary = await getPrimary(store, primaryId);
  const staging = await getStaging(store, primary, 'discard');
  if (primary.config.continuousDeployment) {
    const config = structuredClone(primary.config);
    delete config.continuousDeployment;
    await store.distributions.update({ ...primary, config, revision: primary.revision + 1, updatedAt: now });
  }
  for (const t of await store.triggers.list({ distributionId: staging.id })) await store.triggers.delete(t.id);
  await store.distributions.delete(staging.id);
}

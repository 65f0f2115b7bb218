/**
 * @module shared/config/validate-staging
 * Validation of continuous deployment (CloudFront's ContinuousDeploymentPolicy, peers 2.2): a
 * primary distribution names its staging distribution and how viewers reach it, by a header
 * (`aws-cf-cd-<name>: value`, CloudFront requires the prefix) or by a weight (a share of viewers,
 * at most 15% as on CloudFront, each viewer kept on one side). A staging distribution carries
 * `staging: true` and answers only through its primary's routing.
 */
import { type Problems, at, checkBool, checkInt, checkObject, checkString } from './fields.js';

/** CloudFront's SingleWeightConfig allows at most 0.15 of the traffic. */
export const MAX_STAGING_WEIGHT = 15;
export const STAGING_HEADER_PREFIX = 'aws-cf-cd-';

const HEADER_NAME = {
  max: 256,
  pattern: /^aws-cf-cd-[A-Za-z0-9!#$%&'*+.^_`|~-]+$/i,
  patternText: `must start with "${STAGING_HEADER_PREFIX}" (CloudFront's rule), e.g. aws-cf-cd-staging`,
};

export function validateStagingFlag(p: Problems, v: unknown, path: string, aliases: unknown): void {
  if (checkBool(p, v, path) && Array.isArray(aliases) && aliases.length > 0)
    p.add(
      at(path.replace(/\.staging$/, ''), 'aliases'),
      'a staging distribution has no aliases: viewers reach it through its primary',
    );
}

export function validateContinuousDeployment(p: Problems, v: unknown, path: string, ownId: unknown): void {
  const o = checkObject(p, v, path, ['stagingDistributionId', 'header', 'weight'], ['stagingDistributionId']);
  if (!o) return;
  const id = checkString(p, o.stagingDistributionId, at(path, 'stagingDistributionId'), { min: 1, max: 64 });
  if (id !== undefined && id === ownId)
    p.add(at(path, 'stagingDistributionId'), 'must name another distribution (the staging one), not this one');
  if ((o.header === undefined) === (o.weight === undefined))
    p.add(path, 'give exactly one of "header" ({ name, value }) or "weight" ({ percent })');
  if (o.header !== undefined) {
    const h = checkObject(p, o.header, at(path, 'header'), ['name', 'value'], ['name', 'value']);
    if (h) {
      checkString(p, h.name, at(at(path, 'header'), 'name'), HEADER_NAME);
      checkString(p, h.value, at(at(path, 'header'), 'value'), { min: 1, max: 1024 });
    }
  }
  if (o.weight !== undefined) {
    const w = checkObject(p, o.weight, at(path, 'weight'), ['percent'], ['percent']);
    if (w) {
      const pct = w.percent;
      if (typeof pct === 'number' && Number.isInteger(pct) && pct > MAX_STAGING_WEIGHT)
        p.add(
          at(at(path, 'weight'), 'percent'),
          `${pct}% is over the limit: at most ${MAX_STAGING_WEIGHT}% of viewers go to staging (CloudFront's limit); route more with a header, or promote`,
        );
      else checkInt(p, pct, at(at(path, 'weight'), 'percent'), 1, MAX_STAGING_WEIGHT);
    }
  }
}

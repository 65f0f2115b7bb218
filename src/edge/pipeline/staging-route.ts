/**
 * @module edge/pipeline/staging-route
 * Continuous deployment at the edge (CloudFront's ContinuousDeploymentPolicy): a request for a
 * primary distribution goes to its staging distribution when it carries the policy's header with
 * the policy's value, or, for weight routing, when the viewer's address hashes into the staged
 * share (so one viewer stays on one side). Unlike CloudFront, staging traffic is never dropped at
 * peak; when the staging distribution is not on this PoP (refused, or not yet arrived) the
 * primary answers.
 */
import { createHash } from 'node:crypto';
import type { DistributionPlan, EdgePlan } from '../config/plan.js';
import type { CfRequest } from '../../shared/lambda-edge/index.js';

/** The distribution that answers: the primary, or its staging distribution. */
export function routeStaging(
  plan: EdgePlan,
  primary: DistributionPlan,
  request: CfRequest,
  clientIp: string,
): DistributionPlan {
  const cd = primary.continuousDeployment;
  if (!cd) return primary;
  const staging = plan.byId.get(cd.stagingId);
  if (!staging || !staging.staging) return primary;
  if (cd.header) {
    const got = request.headers[cd.header.name];
    return got?.some((h) => h.value === cd.header!.value) ? staging : primary;
  }
  return bucketOf(clientIp, primary.id) < cd.weightPercent ? staging : primary;
}

/** 0–99 from the viewer's address and the distribution: stable for a viewer, spread across viewers. */
export function bucketOf(clientIp: string, distributionId: string): number {
  const h = createHash('sha256').update(`${distributionId}\u0000${clientIp}`).digest();
  return h.readUInt32BE(0) % 100;
}

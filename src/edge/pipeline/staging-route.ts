/**
 * @module edge/pipeline/staging-route
 * Continuous deployment at the edge (CloudFront's ContinuousDeploymentPolicy): a request for a
 * primary distribution goes to its staging distribution when it carries the policy's header with
 * the policy's value, or, for weight routing, when the viewer falls in the staged share. With
 * session stickiness (`weight.stickySeconds`) a viewer's side is kept in a cookie
 * (`aws-cf-cd-session`, as CloudFront keeps it in a cookie of its own), renewed on every answer
 * and forgotten after that many idle seconds or when the policy changes; a viewer without the
 * cookie is placed by its address, so one viewer stays on one side either way. Unlike
 * CloudFront, staging traffic is never dropped at peak; when the staging distribution is not on
 * this PoP (refused, or not yet arrived) the primary answers.
 */
import { createHash } from 'node:crypto';
import { STICKY_COOKIE } from '../../shared/config/schema.js';
import type { DistributionPlan, EdgePlan } from '../config/plan.js';
import type { CfRequest } from '../../shared/lambda-edge/index.js';
import { cookieValue } from './canary-arm.js';

export interface StagingRoute {
  /** The distribution that answers: the primary, or its staging distribution. */
  dist: DistributionPlan;
  /** The Set-Cookie value that keeps this viewer on that side (sticky weight routing only). */
  setCookie: string | null;
}

/** The distribution that answers: the primary, or its staging distribution. */
export function routeStaging(
  plan: EdgePlan,
  primary: DistributionPlan,
  request: CfRequest,
  clientIp: string,
): DistributionPlan {
  return routeStagingSticky(plan, primary, request, clientIp).dist;
}

/** `routeStaging`, with the cookie that keeps the viewer's session on its side. */
export function routeStagingSticky(
  plan: EdgePlan,
  primary: DistributionPlan,
  request: CfRequest,
  clientIp: string,
): StagingRoute {
  const cd = primary.continuousDeployment;
  if (!cd) return { dist: primary, setCookie: null };
  const staging = plan.byId.get(cd.stagingId);
  const usable = staging && staging.staging ? staging : null;
  if (cd.header) {
    const got = request.headers[cd.header.name];
    return { dist: usable && got?.some((h) => h.value === cd.header!.value) ? usable : primary, setCookie: null };
  }
  const sticky = cd.sticky;
  const remembered = sticky ? sessionSide(cookieValue(request.headers, STICKY_COOKIE), sticky.token) : null;
  const toStaging = remembered !== null ? remembered === 'staging' : bucketOf(clientIp, primary.id) < cd.weightPercent;
  const dist = toStaging && usable ? usable : primary;
  if (!sticky) return { dist, setCookie: null };
  const side = dist === primary ? 'primary' : 'staging';
  return {
    dist,
    setCookie: `${STICKY_COOKIE}=${side}.${sticky.token}; Max-Age=${sticky.seconds}; Path=/; HttpOnly; SameSite=Lax`,
  };
}

/** The side a session cookie names, when it was set under this policy (same token); else null. */
function sessionSide(value: string | undefined, token: string): 'primary' | 'staging' | null {
  if (value === `staging.${token}`) return 'staging';
  if (value === `primary.${token}`) return 'primary';
  return null;
}

/** 0–99 from the viewer's address and the distribution: stable for a viewer, spread across viewers. */
export function bucketOf(clientIp: string, distributionId: string): number {
  const h = createHash('sha256').update(`${distributionId}\u0000${clientIp}`).digest();
  return h.readUInt32BE(0) % 100;
}

/**
 * @module edge/policies/response-headers
 * Applies a response headers policy to a response about to go to a viewer, cached or not
 * (spec 7.9). Order: remove headers first, then add CORS, security, custom and Server-Timing
 * headers, so a header that is both removed and added ends up present (DG).
 */
import type { CfHeaders } from '../../shared/lambda-edge/index.js';
import type { ResponseHeadersPolicyPlan } from '../config/plan.js';
import { applyCors } from './cors.js';
import { putHeader } from './put-header.js';
import { pragmaAsksForServerTiming, sampled, writeServerTiming } from './server-timing.js';
import type { ServerTimingInput } from './server-timing.js';

export interface ApplyPolicyInput {
  requestHeaders: CfHeaders;
  method: string;
  /** Mutated in place. */
  responseHeaders: CfHeaders;
  status: number;
  /** Needed for the Server-Timing section; without it no Server-Timing is written. */
  serverTiming?: ServerTimingInput;
  /** The sampling draw in [0,1); defaults to Math.random (tests pass a seeded one). */
  random?: () => number;
}

/** Exact names a policy may not remove (DG "Headers that you can't remove"). */
const NON_REMOVABLE = new Set([
  'connection',
  'content-encoding',
  'content-length',
  'expect',
  'host',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'via',
  'warning',
  'x-accel-buffering',
  'x-accel-charset',
  'x-accel-limit-rate',
  'x-accel-redirect',
  'x-amzn-auth',
  'x-amzn-cf-billing',
  'x-amzn-cf-id',
  'x-amzn-cf-xff',
  'x-amzn-errortype',
  'x-amzn-fle-profile',
  'x-amzn-header-count',
  'x-amzn-header-order',
  'x-amzn-lambda-integration-tag',
  'x-amzn-requestid',
  'x-cache',
  'x-forwarded-proto',
  'x-real-ip',
]);
/** Prefix patterns from the same list (`X-Amz-Cf-.*`, `X-Edge-.*`). */
const NON_REMOVABLE_PREFIXES = ['x-amz-cf-', 'x-edge-'];

/** True for headers CloudFront refuses in a policy's remove list (the compiler should reject them). */
export function isNonRemovableHeader(name: string): boolean {
  const n = name.toLowerCase();
  return NON_REMOVABLE.has(n) || NON_REMOVABLE_PREFIXES.some((p) => n.startsWith(p));
}

export function applyResponseHeadersPolicy(policy: ResponseHeadersPolicyPlan, input: ApplyPolicyInput): void {
  const res = input.responseHeaders;
  // Non-removable names are skipped defensively; config validation is where they are refused.
  for (const name of policy.removeHeaders) if (!isNonRemovableHeader(name)) delete res[name.toLowerCase()];
  if (policy.cors) applyCors(policy.cors, input.method, input.requestHeaders, res);
  for (const s of policy.securityHeaders) putHeader(res, s.header, s.value, s.override);
  // A custom header may have no value (DG); it is then sent empty.
  for (const c of policy.customHeaders) putHeader(res, c.header, c.value, c.override);
  const st = policy.serverTiming;
  if (st?.enabled && input.serverTiming) {
    const forced = pragmaAsksForServerTiming(input.requestHeaders);
    if (forced || sampled(st.samplingRate, input.random ?? Math.random)) writeServerTiming(res, input.serverTiming);
  }
}

/**
 * @module edge/policies/response-headers
 * Applies a response headers policy to a response about to go to a viewer, cached or not
 * (spec 7.9). Order: remove headers first, then add CORS, security, custom and Server-Timing
 * headers, so a header that is both removed and added ends up present (DG).
 */
import { isDisallowedHeader, type CfHeaders } from '../../shared/lambda-edge/index.js';
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

/**
 * Names a policy may not remove (DG "Headers that you can't remove"): every header functions may
 * not touch (spec 3.1, the contract's disallowed list) plus the framing and hop headers below.
 */
const NON_REMOVABLE_EXTRA = new Set([
  'content-encoding',
  'content-length',
  'host',
  'transfer-encoding',
  'via',
  'warning',
]);

/** True for headers CloudFront refuses in a policy's remove list (the compiler should reject them). */
export function isNonRemovableHeader(name: string): boolean {
  const n = name.toLowerCase();
  return NON_REMOVABLE_EXTRA.has(n) || isDisallowedHeader(n);
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

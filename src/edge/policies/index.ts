/** @module edge/policies — response headers policies (spec 7.9). */
export { applyResponseHeadersPolicy, isNonRemovableHeader } from './response-headers.js';
export type { ApplyPolicyInput } from './response-headers.js';
export { applyCors, originAllowed, isPreflight, ALL_CORS_METHODS } from './cors.js';
export { securityHeadersFromConfig, REFERRER_POLICIES, CSP_MAX_LENGTH } from './security-headers.js';
export type { SecurityHeadersConfig, SecurityHeader, ReferrerPolicy } from './security-headers.js';
export { writeServerTiming, serverTimingMetrics, pragmaAsksForServerTiming, sampled } from './server-timing.js';
export type { ServerTimingInput } from './server-timing.js';

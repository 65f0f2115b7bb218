/**
 * @module edge/tier
 * Tiered caching (DESIGN 4): a PoP fetching its misses through a regional edge cache
 * (`regionalClient`), and the regional's side (`RegionalServer`).
 */
export { regionalClient, type RegionalClientOptions } from './regional-client.js';
export { RegionalServer, sharedTtlMs, type RegionalServerOptions, type RegionalStats } from './regional-server.js';
export { TIER_AUTH, TIER_ERROR, TIER_STATUS, TIER_TARGET } from './protocol.js';

/**
 * @module edge/origin
 * The origin leaf's public API: the client that fetches from custom origins and directory
 * buckets (client.ts, bucket.ts), and the builder of the origin-facing request
 * (request-builder.ts). Imports only src/shared and the edge plan types.
 */
export type { OriginClient, OriginRequest, OriginResponse } from './types.js';
export {
  createOriginClient,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_RESPONSE_HEADER_BYTES,
  type OriginClientOptions,
} from './client.js';
export { createBucketOrigin, bucketKey, type BucketOriginOptions } from './bucket.js';
export { contentTypeFor, DEFAULT_CONTENT_TYPE } from './content-types.js';
export {
  buildOriginRequest,
  toOriginRequest,
  targetOrigin,
  customHeaderMap,
  viaValue,
  ORIGIN_USER_AGENT,
  BUCKET_REGION,
  type BuildOriginRequestInput,
  type BucketResolver,
} from './request-builder.js';
export { reduceCookies, reduceQuery, viewerHeaderForwarded, cloudFrontHeaderForwarded } from './forwarding.js';

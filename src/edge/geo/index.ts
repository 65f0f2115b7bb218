/** @module edge/geo — viewer geolocation, device detection and the CloudFront-* request headers (spec 3.3). */
export { openGeo, recordToLocation, countryNameFor, defaultDatabasePaths } from './geo.js';
export type { OpenGeoOptions } from './geo.js';
export type { GeoLocation, GeoLookup } from './types.js';
export { detectDevice } from './device.js';
export type { DeviceFlags } from './device.js';
export {
  cloudFrontHeaders,
  encodeGeoValue,
  CLOUDFRONT_HEADER_NAMES,
  CLOUDFRONT_HEADER_SET,
  HEADER_ORDER_LIMIT,
} from './cloudfront-headers.js';
export type { CloudFrontHeaderInput, CloudFrontHeaderName } from './cloudfront-headers.js';
export { parseIp, parseCidr, displayIp, isNonPublic, PrefixTable } from './ip.js';

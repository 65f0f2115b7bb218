/** @module edge/signed — CloudFront signed URLs and signed cookies: policies, signatures, stripping (a leaf). */
export {
  SIGNED_ERRORS,
  SIGNING_COOKIES,
  SIGNING_PARAMS,
  formatUrl,
  stripSignedCookies,
  stripSignedParams,
  verifySigned,
} from './verify.js';
export type { SignedErrorCode, SignedInput, SignedResult } from './verify.js';
export { cannedPolicy, decodeCloudFrontBase64, encodeCloudFrontBase64, glob, resourceMatches } from './policy.js';
export type { UrlParts } from './policy.js';

/** @module edge/compress — edge compression (spec 7.5). */
export {
  chooseEncoding,
  compress,
  compressStream,
  applyCompressionHeaders,
  mergeVary,
  MIN_COMPRESS_BYTES,
  MAX_COMPRESS_BYTES,
} from './compress.js';
export type { Encoding, ChooseEncodingInput } from './compress.js';
export { isCompressibleType, COMPRESSIBLE_TYPES } from './content-types.js';

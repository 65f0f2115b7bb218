/**
 * @module edge/server/request-id
 * Request ids in CloudFront's form (spec 1.1): 56 characters of the base64url alphabet ending
 * `==`. Random bytes are drawn and encoded in blocks, so a request takes a slice of a ready
 * string: no call into OpenSSL or the base64 encoder per request.
 */
import { randomFillSync } from 'node:crypto';

/** Characters of randomness per id: 54 (each 6 random bits), then CloudFront's `==`. */
const ID_CHARS = 54;
/** Ids per block; 3 bytes make 4 characters, so a block of 54 * 256 * 3 / 4 bytes encodes exactly. */
const IDS = 256;
const BLOCK_BYTES = (ID_CHARS * IDS * 3) / 4;
let pool = '';
let offset = 0;

export function newRequestId(): string {
  if (offset >= pool.length) {
    pool = randomFillSync(Buffer.alloc(BLOCK_BYTES)).toString('base64url');
    offset = 0;
  }
  const id = pool.slice(offset, offset + ID_CHARS) + '==';
  offset += ID_CHARS;
  return id;
}

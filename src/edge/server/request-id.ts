/**
 * @module edge/server/request-id
 * Request ids in CloudFront's form (spec 1.1): 56 characters of the base64url alphabet ending
 * `==`. Random bytes are drawn in blocks so the hot path does not call into OpenSSL per request.
 */
import { randomFillSync } from 'node:crypto';

const BLOCK = 40 * 256;
let pool = Buffer.alloc(BLOCK);
let offset = BLOCK;

export function newRequestId(): string {
  if (offset >= BLOCK) {
    pool = randomFillSync(Buffer.alloc(BLOCK));
    offset = 0;
  }
  // 40 bytes are 54 base64url characters; CloudFront's ids are 56 with `==` padding.
  const id = pool.toString('base64url', offset, offset + 40) + '==';
  offset += 40;
  return id;
}

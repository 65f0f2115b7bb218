/**
 * @module edge/pipeline/request-body
 * The viewer's request body as a function sees it (`includeBody`, spec 1.9), shared by the
 * viewer-request step and the origin-request hook.
 */
import type { CfBody } from '../../shared/lambda-edge/index.js';

/** The `body` member of an IncludeBody event (spec 1.9): base64, truncated at the limit. */
export function bodyForEvent(body: Buffer, limit: number): CfBody {
  const truncated = body.length > limit;
  return {
    inputTruncated: truncated,
    action: 'read-only',
    encoding: 'base64',
    data: (truncated ? body.subarray(0, limit) : body).toString('base64'),
  };
}

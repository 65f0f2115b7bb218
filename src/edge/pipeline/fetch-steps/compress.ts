/**
 * @module edge/pipeline/fetch-steps/compress
 * Fetch step `compress`: edge compression (spec 7.5), done before storing so hits never
 * compress again.
 */
import { applyCompressionHeaders, chooseEncoding, compress as compressBody } from '../../compress/index.js';
import type { FetchStepName } from '../fetch-table.js';
import type { FetchTxn } from '../transaction.js';

export function compress(f: FetchTxn): FetchStepName | Promise<FetchStepName> {
  const r = f.response!;
  const enc = chooseEncoding({
    acceptEncoding: f.acceptEncoding,
    httpVersion: f.viewerHttpVersion,
    status: r.status,
    headers: r.headers,
    bodyLength: r.body.length,
    compressEnabled: f.behavior.compress,
  });
  if (!enc) return 'store';
  return compressBody(r.body, enc).then((body): FetchStepName => {
    applyCompressionHeaders(r.headers, enc, body.length);
    f.response = { ...r, body };
    return 'store';
  });
}

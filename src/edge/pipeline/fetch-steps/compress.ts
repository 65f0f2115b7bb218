/**
 * @module edge/pipeline/fetch-steps/compress
 * Fetch step `compress`: edge compression (spec 7.5), done before storing so hits never
 * compress again; a body streaming from the origin is compressed as it streams.
 */
import { bodyLength, isStreamBody, streamBody } from '../../body/index.js';
import {
  applyCompressionHeaders,
  chooseEncoding,
  compress as compressBody,
  compressStream,
} from '../../compress/index.js';
import type { FetchStepName } from '../fetch-table.js';
import type { FetchTxn } from '../transaction.js';

export function compress(f: FetchTxn): FetchStepName | Promise<FetchStepName> {
  const r = f.response!;
  const enc = chooseEncoding({
    acceptEncoding: f.acceptEncoding,
    httpVersion: f.viewerHttpVersion,
    status: r.status,
    headers: r.headers,
    bodyLength: bodyLength(r.body) ?? 0,
    compressEnabled: f.behavior.compress,
  });
  if (!enc) return 'store';
  const body = r.body;
  if (isStreamBody(body)) {
    // Arriving from the origin: compressed as it arrives (chunked to the viewer, no length).
    f.response = { ...r, body: streamBody(compressStream(body.open(), enc, body.length ?? 0), null) };
    applyCompressionHeaders(r.headers, enc, null);
    return 'store';
  }
  return compressBody(body, enc).then((body): FetchStepName => {
    applyCompressionHeaders(r.headers, enc, body.length);
    f.response = { ...r, body };
    return 'store';
  });
}

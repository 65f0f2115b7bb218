/**
 * @module edge/pipeline/response
 * Conversions between the edge's response model and the CloudFront shapes functions see, and
 * the responses the edge generates itself (redirects, function-generated responses).
 */
import {
  STATUS_TEXT,
  cloneHeaders,
  isDisallowedHeader,
  titleCase,
  type CfHeaders,
  type CfResponse,
} from '../../shared/lambda-edge/index.js';
import type { EdgeResponse } from './transaction.js';
import { discardBody, type Body } from '../body/index.js';

export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? '';
}

/** A small response the edge produces (redirects, errors). */
export function generatedResponse(status: number, headers: Record<string, string> = {}, body = ''): EdgeResponse {
  const h: CfHeaders = {};
  for (const [k, v] of Object.entries(headers)) h[k.toLowerCase()] = [{ key: titleCase(k.toLowerCase()), value: v }];
  return { status, statusText: statusText(status), headers: h, body: Buffer.from(body) };
}

/** The response as a function sees it: status as a string, no body, no disallowed headers. */
export function toCfResponse(r: EdgeResponse): CfResponse {
  const headers: CfHeaders = {};
  for (const [k, list] of Object.entries(r.headers)) {
    if (!isDisallowedHeader(k)) headers[k] = list.map((e) => ({ key: e.key ?? titleCase(k), value: e.value }));
  }
  return { status: String(r.status), statusDescription: r.statusText || statusText(r.status), headers };
}

/** A response returned by a function (already validated by the runtime) as an edge response. */
export function fromCfResponse(cf: CfResponse, previousBody?: Body): EdgeResponse {
  const status = Number(cf.status);
  const headers = cloneHeaders(cf.headers);
  for (const k of Object.keys(headers)) for (const e of headers[k]!) e.key ??= titleCase(k);
  let body: Body;
  if (cf.body === undefined) body = previousBody ?? Buffer.alloc(0);
  else {
    // The function's body replaces the one still arriving, which is then not read.
    discardBody(previousBody);
    body = Buffer.from(cf.body, cf.bodyEncoding === 'base64' ? 'base64' : 'utf8');
  }
  if (cf.body !== undefined) delete headers['content-length'];
  return { status, statusText: cf.statusDescription ?? statusText(status), headers, body };
}

/**
 * @module runtime/host/validate
 * Checks a Lambda@Edge result the way CloudFront does (spec 5.3's checklist, messages from
 * spec 1.7, 3.1 and 5.1) and normalizes it: status as a string, a missing header `key`
 * Title-Cased (spec 1.7), read-only request fields taken from the input. Runs inside `invoke`,
 * so the edge and `verge invoke` report the same errors.
 */
import { CONTRACT, isDisallowedHeader } from '../../shared/lambda-edge/contract.js';
import { titleCase } from '../../shared/lambda-edge/headers.js';
import type { CfBody, CfHeaders, CfOrigin, CfRequest, CfResponse, EventType } from '../../shared/lambda-edge/index.js';
import type { EventLimits } from './limits.js';

export type Validated =
  { ok: true; kind: 'request' | 'response'; value: CfRequest | CfResponse } | { ok: false; message: string };

const FAILED = 'The Lambda function result failed validation: ';
export const MESSAGES = {
  notObject: 'The Lambda function returned invalid JSON: The JSON output must be an object type.',
  notParsable: 'The Lambda function returned invalid JSON: The json output is not parsable.',
  invalid: 'The Lambda function returned an invalid request or response to CloudFront.',
  body: `${FAILED}The body is not a string, is not an object, or exceeds the maximum size.`,
  originHeaders:
    'The Lambda function returned an invalid origin configuration: One or more HeaderName or HeaderValue values are invalid.',
};

class Invalid extends Error {}
const fail = (message: string): never => {
  throw new Invalid(message);
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/** Shape, characters and disallowed names of a header map; returns it normalized (spec 1.7, 3.1). */
function checkHeaders(h: unknown, before: CfHeaders): CfHeaders {
  if (h === undefined) return {};
  if (!isObj(h)) fail(`${FAILED}The headers object is not an object.`);
  const out: CfHeaders = {};
  for (const [name, list] of Object.entries(h as Obj)) {
    if (name !== name.toLowerCase())
      fail(`${FAILED}the header names in the headers object must be lower case, headerName : ${name}.`);
    if (!TOKEN.test(name)) fail(`${FAILED}the function returned an invalid header name, headerName : ${name}.`);
    const entries = Array.isArray(list) ? list : fail(notString(name));
    out[name] = entries.map((e: unknown) => {
      if (!isObj(e) || typeof e.value !== 'string') return fail(notString(name));
      if (e.key !== undefined && typeof e.key !== 'string')
        fail(`${FAILED}the key of a header entry is not a string, headerName : ${name}.`);
      // The map name decides, as on CloudFront: an entry whose key names another header (AWS's
      // "override a response header" example copies the x-amz-meta-last-modified entry under
      // last-modified) goes out under the map name, Title-Cased.
      const key = typeof e.key === 'string' && e.key.toLowerCase() === name ? e.key : titleCase(name);
      const bad = /[\r\n\0]/.exec(e.value);
      if (bad) {
        const code = '%' + bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(2, '0');
        fail(
          `${FAILED}the function returned an invalid header, invalid character : '${code}' in header value, headerName : ${key}.`,
        );
      }
      return { key, value: e.value };
    });
    if (isDisallowedHeader(name) && !(name in before))
      fail(`${FAILED}the function tried to add a disallowed header, headerName : ${titleCase(name)}.`);
  }
  return out;
}

function notString(name: string): string {
  return `The Lambda function returned an invalid entry in the headers object, the value of each header value must be of string or array of string type, headerName : ${name}.`;
}

/** Adding, changing or deleting a read-only header fails (spec 3.2; deletion included). */
function checkReadOnly(names: readonly string[], before: CfHeaders, after: CfHeaders): void {
  for (const name of names) {
    const b = before[name]?.map((e) => e.value);
    const a = after[name]?.map((e) => e.value);
    if (!b && !a) continue;
    const verb = !b
      ? 'add'
      : !a
        ? 'delete'
        : b.length !== a.length || b.some((v, i) => v !== a[i])
          ? 'change'
          : undefined;
    if (verb)
      fail(
        `${FAILED}the function tried to ${verb} read-only header, headerName : ${before[name]?.[0]?.key ?? titleCase(name)}.`,
      );
  }
}

function isBase64(s: string): boolean {
  return s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s);
}

function checkRequestBody(body: unknown, input: CfBody | undefined, limits: EventLimits): CfBody | undefined {
  if (!input) return undefined;
  if (body === undefined) return input;
  if (!isObj(body)) return fail(MESSAGES.body);
  const action = body.action ?? 'read-only';
  if (action === 'read-only') return input;
  if (action !== 'replace') return fail(MESSAGES.body);
  const encoding = body.encoding ?? 'base64';
  const data = body.data ?? '';
  if ((encoding !== 'base64' && encoding !== 'text') || typeof data !== 'string') return fail(MESSAGES.body);
  if (encoding === 'base64' && (!isBase64(data) || data.length > limits.bodyReplaceBase64Bytes))
    return fail(MESSAGES.body);
  if (encoding === 'text' && Buffer.byteLength(data) > limits.bodyReplaceTextBytes) return fail(MESSAGES.body);
  return { inputTruncated: input.inputTruncated, action: 'replace', encoding, data };
}

const ORIGIN = 'The Lambda function returned an invalid origin configuration: ';
const inRange = (v: unknown, lo: number, hi: number) =>
  typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;

function checkOriginPath(p: unknown, max: number): string {
  const path = p ?? '';
  if (typeof path !== 'string' || (path !== '' && (!path.startsWith('/') || path.endsWith('/') || path.length > max))) {
    fail(`${ORIGIN}The path must be empty or start with / and not end with / (at most ${max} characters).`);
  }
  return path as string;
}

function checkOriginHeaders(h: unknown, requestHeaders: CfHeaders): CfHeaders {
  let out: CfHeaders;
  try {
    out = checkHeaders(h ?? {}, {});
  } catch {
    return fail(MESSAGES.originHeaders);
  }
  for (const name of Object.keys(out))
    if (isDisallowedHeader(name) || name in requestHeaders) fail(MESSAGES.originHeaders);
  return out;
}

/** The origin object rules of spec 1.8 (IP addresses and `localhost` allowed: docs/lambda-edge-compat.md). */
function checkOrigin(o: unknown, requestHeaders: CfHeaders): CfOrigin {
  if (!isObj(o) || 'custom' in o === 's3' in o)
    return fail(`${ORIGIN}The origin must have exactly one of custom or s3.`);
  if ('custom' in o) {
    const c = isObj(o.custom) ? o.custom : fail(`${ORIGIN}custom is not an object.`);
    const d = c.domainName;
    if (typeof d !== 'string' || d === '' || d.includes(':') || d.length > 253)
      fail(`${ORIGIN}The domainName is invalid.`);
    if (!(c.port === 80 || c.port === 443 || inRange(c.port, 1024, 65535)))
      fail(`${ORIGIN}The port must be 80, 443, or 1024-65535.`);
    if (c.protocol !== 'http' && c.protocol !== 'https') fail(`${ORIGIN}The protocol must be http or https.`);
    if (!inRange(c.readTimeout, 4, 60)) fail(`${ORIGIN}The readTimeout must be between 4 and 60 seconds.`);
    if (!inRange(c.keepaliveTimeout, 1, 60)) fail(`${ORIGIN}The keepaliveTimeout must be between 1 and 60 seconds.`);
    const ssl = c.sslProtocols;
    const allowed = ['TLSv1.2', 'TLSv1.1', 'TLSv1', 'SSLv3'];
    if (!Array.isArray(ssl) || ssl.length === 0 || !ssl.every((p) => allowed.includes(p as string)))
      fail(`${ORIGIN}The sslProtocols must list TLSv1.2, TLSv1.1, TLSv1 or SSLv3.`);
    return {
      custom: {
        domainName: d as string,
        path: checkOriginPath(c.path, 255),
        port: c.port as number,
        protocol: c.protocol as 'http' | 'https',
        readTimeout: c.readTimeout as number,
        keepaliveTimeout: c.keepaliveTimeout as number,
        sslProtocols: ssl as Array<'TLSv1.2'>,
        customHeaders: checkOriginHeaders(c.customHeaders, requestHeaders),
      },
    };
  }
  const s = isObj(o.s3) ? o.s3 : fail(`${ORIGIN}s3 is not an object.`);
  const d = s.domainName;
  if (typeof d !== 'string' || d === '' || d.length > 128 || d !== d.toLowerCase())
    fail(`${ORIGIN}The domainName is invalid.`);
  const auth = s.authMethod ?? 'none';
  if (auth !== 'origin-access-identity' && auth !== 'none')
    fail(`${ORIGIN}The authMethod must be origin-access-identity or none.`);
  if (auth === 'origin-access-identity' && (typeof s.region !== 'string' || s.region === ''))
    fail(`${ORIGIN}The region is required with origin-access-identity.`);
  return {
    s3: {
      domainName: d as string,
      path: checkOriginPath(s.path, 255),
      region: typeof s.region === 'string' ? s.region : '',
      authMethod: auth as 'origin-access-identity' | 'none',
      customHeaders: checkOriginHeaders(s.customHeaders, requestHeaders),
    },
  };
}

function checkRequest(eventType: EventType, r: Obj, input: CfRequest, limits: EventLimits): CfRequest {
  const uri = r.uri;
  if (typeof uri !== 'string' || !uri.startsWith('/')) fail(`${FAILED}The URI must be a string that starts with /.`);
  const qs = r.querystring ?? '';
  if (typeof qs !== 'string') return fail(`${FAILED}The querystring must be a string.`);
  if (/[\s\x00-\x1f\x7f#]/.test(qs)) fail(`${FAILED}The querystring contains a space, a control character or #.`);
  if ((uri as string).length + (qs ? qs.length + 1 : 0) >= 8192)
    fail(`${FAILED}The URI and query string must be shorter than 8,192 characters.`);
  if (r.method !== undefined && r.method !== input.method)
    fail(`${FAILED}the function tried to change the read-only field method.`);
  if (!isObj(r.headers)) fail(MESSAGES.invalid);
  const headers = checkHeaders(r.headers, input.headers);
  checkReadOnly(CONTRACT[eventType].readOnlyHeaders, input.headers, headers);
  if (
    eventType === 'viewer-request' &&
    !input.headers['cloudfront-viewer-country'] &&
    headers['cloudfront-viewer-country']
  ) {
    fail(`${FAILED}the function tried to add read-only header, headerName : CloudFront-Viewer-Country.`);
  }
  const out: CfRequest = {
    clientIp: input.clientIp,
    method: input.method,
    uri: uri as string,
    querystring: qs,
    headers,
  };
  const body = checkRequestBody(r.body, input.body, limits);
  if (body) out.body = body;
  if (eventType === 'origin-request') {
    const origin = r.origin === undefined ? input.origin : checkOrigin(r.origin, headers);
    if (origin) out.origin = origin;
  }
  return out;
}

function headerBytes(h: CfHeaders): number {
  let n = 0;
  for (const list of Object.values(h)) for (const e of list) n += Buffer.byteLength(`${e.key}: ${e.value}\r\n`);
  return n;
}

function checkResponse(
  eventType: EventType,
  r: Obj,
  input: CfResponse | undefined,
  generated: boolean,
  limits: EventLimits,
  opts: ValidateOptions,
): CfResponse {
  const locked = eventType === 'viewer-response' && !opts.viewerResponseWritable;
  const code = typeof r.status === 'number' || typeof r.status === 'string' ? Number(r.status) : NaN;
  if (!Number.isInteger(code) || code < 200 || code > 599)
    fail(`${FAILED}The status code must be a number between 200 and 599: ${String(r.status)}.`);
  if (locked && input && String(code) !== String(input.status)) {
    fail(
      `${FAILED}the function tried to change the status of a viewer-response, which is read-only (${input.status} to ${code}).`,
    );
  }
  if (r.statusDescription !== undefined && typeof r.statusDescription !== 'string') fail(MESSAGES.invalid);
  const before = input?.headers ?? {};
  const headers = checkHeaders(r.headers, generated ? {} : before);
  if (!generated) checkReadOnly(CONTRACT[eventType].readOnlyHeaders, before, headers);
  const out: CfResponse = { status: String(code), headers };
  if (typeof r.statusDescription === 'string') out.statusDescription = r.statusDescription;
  // Viewer-response bodies are not supported (spec 1.6): dropped, the original body is sent.
  if (r.body === undefined || locked) return out;
  if (typeof r.body !== 'string') return fail(MESSAGES.body);
  const enc = r.bodyEncoding ?? 'text';
  if (enc !== 'text' && enc !== 'base64') return fail(MESSAGES.body);
  if (enc === 'base64' && !isBase64(r.body)) return fail(MESSAGES.body);
  if (code === 204 && r.body !== '') fail(`${FAILED}A response with status 204 cannot have a body.`);
  const bodyBytes = enc === 'base64' ? Buffer.from(r.body, 'base64').byteLength : Buffer.byteLength(r.body);
  if (bodyBytes + headerBytes(headers) > limits.generatedResponseBytes) fail(MESSAGES.body);
  out.body = r.body;
  out.bodyEncoding = enc;
  return out;
}

export interface ValidateOptions {
  /** CloudFront Functions may change the status and replace the body at viewer-response (spec 8.2). */
  viewerResponseWritable?: boolean;
}

/** Validate the JSON text a Lambda@Edge function produced for `eventType`, against its input. */
export function validateLambdaResult(
  eventType: EventType,
  input: { request: CfRequest; response?: CfResponse },
  json: string,
  limits: EventLimits,
): Validated {
  let r: unknown;
  try {
    r = JSON.parse(json);
  } catch {
    return { ok: false, message: MESSAGES.notParsable };
  }
  return validateResultValue(eventType, input, r, limits);
}

/** Validate an already parsed result (also used for CloudFront Functions after adaptation). */
export function validateResultValue(
  eventType: EventType,
  input: { request: CfRequest; response?: CfResponse },
  r: unknown,
  limits: EventLimits,
  opts: ValidateOptions = {},
): Validated {
  if (!isObj(r)) return { ok: false, message: MESSAGES.notObject };
  try {
    const requestEvent = eventType === 'viewer-request' || eventType === 'origin-request';
    if (requestEvent && !('status' in r))
      return { ok: true, kind: 'request', value: checkRequest(eventType, r, input.request, limits) };
    if (!('status' in r)) return { ok: false, message: MESSAGES.invalid };
    const value = checkResponse(eventType, r, input.response, requestEvent, limits, opts);
    return { ok: true, kind: 'response', value };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, message: e.message };
    throw e;
  }
}

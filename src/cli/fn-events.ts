/**
 * @module cli/fn-events
 * Realistic Lambda@Edge events for `verge generate-event` and `verge invoke` (spec 1.2–1.5):
 * the viewer-side request (viewer's Host and User-Agent, no CloudFront-* headers), the
 * origin-side request (post-policy headers, `Via`, `X-Forwarded-For`, normalized
 * `Accept-Encoding`, an `origin.custom` member), and a response for the response events. Also
 * turns what a user hands to `verge invoke` (a whole event, a bare request, or a URL) into one.
 */
import {
  STATUS_TEXT,
  titleCase,
  type CfBody,
  type CfEvent,
  type CfHeaders,
  type CfRequest,
  type CfResponse,
  type EventType,
} from '../shared/lambda-edge/index.js';
import { newRequestId } from '../edge/server/request-id.js';
import { fromCffTestEvent, isCffTestEvent } from '../runtime/host/cff-test-event.js';
import { UsageError } from './args.js';

/** The documentation addresses (RFC 5737) CloudFront's own examples use. */
export const SAMPLE_CLIENT_IP = '203.0.113.10';
export const SAMPLE_DISTRIBUTION = {
  distributionDomainName: 'd111111abcdef8.cloudfront.net',
  distributionId: 'EDFDVBD6EXAMPLE',
};
const VIEWER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';

export interface EventSpec {
  eventType: EventType;
  /** The viewer's URL (scheme and host matter: Host header, origin domain and protocol). */
  url?: string;
  method?: string;
  /** Extra request headers as `[name, value]`, in order; repeated names stay separate lines. */
  headers?: Array<[string, string]>;
  body?: string;
  /** Put the `body` member in the event, as an association with IncludeBody does (spec 1.9). */
  includeBody?: boolean;
  /** Response events: the status of the response. */
  status?: number;
  clientIp?: string;
  requestId?: string;
}

function isViewer(e: EventType): boolean {
  return e === 'viewer-request' || e === 'viewer-response';
}

function add(h: CfHeaders, name: string, value: string): void {
  (h[name.toLowerCase()] ??= []).push({ key: name, value });
}

/** Parse `--url`; a bare path (`/a?b=1`) gets the sample viewer host. */
export function parseUrl(url: string): URL {
  try {
    return new URL(url, 'https://www.example.com');
  } catch {
    throw new UsageError(`--url "${url}" is not a URL (try https://www.example.com/path?q=1)`);
  }
}

/** The request a function sees at `spec.eventType` for a viewer asking for `spec.url`. */
export function buildRequest(spec: EventSpec): CfRequest {
  const u = parseUrl(spec.url ?? 'https://www.example.com/index.html');
  const method = (spec.method ?? 'GET').toUpperCase();
  const clientIp = spec.clientIp ?? SAMPLE_CLIENT_IP;
  const headers: CfHeaders = {};
  const viewer = isViewer(spec.eventType);
  if (viewer) {
    add(headers, 'Host', u.host);
    add(headers, 'User-Agent', VIEWER_UA);
    add(headers, 'Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8');
    add(headers, 'Accept-Encoding', 'gzip, deflate, br');
  } else {
    // Origin-facing events see the post-policy request (spec 1.3): CloudFront's own headers.
    add(headers, 'Host', u.hostname);
    add(headers, 'User-Agent', 'Amazon CloudFront');
    add(headers, 'Via', '2.0 4b3e4e8f2f6c1d9a0b7c5e3f1a2d4c6e.cloudfront.net (CloudFront)');
    add(headers, 'X-Forwarded-For', clientIp);
    add(headers, 'Accept-Encoding', 'br,gzip');
  }
  const given = new Set<string>();
  for (const [k, v] of spec.headers ?? []) {
    const lower = k.toLowerCase();
    // A header given on the command line replaces the sample's lines of that name.
    if (!given.has(lower)) delete headers[lower];
    given.add(lower);
    add(headers, k, v);
  }
  const bodyBytes = spec.body === undefined ? undefined : Buffer.from(spec.body, 'utf8');
  if (bodyBytes && !headers['content-length']) add(headers, 'Content-Length', String(bodyBytes.length));
  const req: CfRequest = { clientIp, method, uri: u.pathname, querystring: u.search.replace(/^\?/, ''), headers };
  if (spec.includeBody) req.body = bodyMember(bodyBytes ?? Buffer.alloc(0));
  if (!viewer && spec.eventType !== 'viewer-response') {
    req.origin = {
      custom: {
        domainName: u.hostname,
        port: u.port ? Number(u.port) : u.protocol === 'http:' ? 80 : 443,
        protocol: u.protocol === 'http:' ? 'http' : 'https',
        path: '',
        sslProtocols: ['TLSv1.2'],
        readTimeout: 30,
        keepaliveTimeout: 5,
        customHeaders: {},
      },
    };
  }
  return req;
}

/** The IncludeBody member (spec 1.9): always base64 and read-only on input. */
export function bodyMember(body: Buffer): CfBody {
  return { inputTruncated: false, action: 'read-only', encoding: 'base64', data: body.toString('base64') };
}

/** A plausible response for the response events (spec 1.4, 1.5). */
export function buildResponse(eventType: EventType, status = 200): CfResponse {
  const h: CfHeaders = {};
  add(h, 'Content-Type', 'text/html; charset=utf-8');
  add(h, 'Content-Length', '1270');
  add(h, 'Date', 'Tue, 04 Mar 2025 10:11:12 GMT');
  add(h, 'Last-Modified', 'Mon, 03 Mar 2025 08:00:00 GMT');
  add(h, 'ETag', '"9b2cf535f27731c974343645a3985328"');
  add(h, 'Server', 'nginx');
  if (eventType === 'viewer-response') add(h, 'Age', '42');
  return { status: String(status), statusDescription: STATUS_TEXT[status] ?? '', headers: h };
}

export function buildEvent(spec: EventSpec, request?: CfRequest, response?: CfResponse): CfEvent {
  const e = spec.eventType;
  const withResponse = e === 'origin-response' || e === 'viewer-response';
  const cf = {
    config: { ...SAMPLE_DISTRIBUTION, eventType: e, requestId: spec.requestId ?? newRequestId() },
    request: request ?? buildRequest(spec),
    ...(withResponse ? { response: response ?? buildResponse(e, spec.status) } : {}),
  };
  return { Records: [{ cf }] };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What `verge invoke --request FILE` accepts: a whole event (`{ Records: [...] }`, as printed by
 * `verge generate-event`) or just a request object. Returns the parts; the caller fills the rest.
 */
export function splitEventInput(
  json: unknown,
  what: string,
): { eventType?: EventType; request: CfRequest; response?: CfResponse } {
  if (!isObj(json))
    throw new UsageError(
      `${what} must hold a JSON object: a whole event ({"Records":[...]}), a CloudFront Functions test event or a request`,
    );
  if (isCffTestEvent(json)) {
    try {
      return fromCffTestEvent(json as Obj, what, SAMPLE_CLIENT_IP);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  if (Array.isArray(json.Records)) {
    const cf = (json.Records[0] as Obj | undefined)?.cf;
    if (!isObj(cf) || !isObj(cf.request)) throw new UsageError(`${what}: Records[0].cf.request is missing`);
    const config = isObj(cf.config) ? cf.config : {};
    return {
      ...(typeof config.eventType === 'string' ? { eventType: config.eventType as EventType } : {}),
      request: normalizeRequest(cf.request, what),
      ...(isObj(cf.response) ? { response: normalizeResponse(cf.response) } : {}),
    };
  }
  return { request: normalizeRequest(json, what) };
}

/** Fill what a hand-written request may leave out, so the runtime sees a complete one. */
function normalizeRequest(r: Obj, what: string): CfRequest {
  if (r.uri !== undefined && typeof r.uri !== 'string') throw new UsageError(`${what}: request.uri must be a string`);
  const out = {
    clientIp: SAMPLE_CLIENT_IP,
    method: 'GET',
    uri: '/',
    querystring: '',
    ...r,
    headers: normalizeHeaders(r.headers),
  } as CfRequest;
  return out;
}

function normalizeResponse(r: Obj): CfResponse {
  return { ...r, status: String(r.status ?? '200'), headers: normalizeHeaders(r.headers) } as CfResponse;
}

/** Header maps written by hand: keys lower-cased, `key` filled in, a bare string accepted. */
function normalizeHeaders(h: unknown): CfHeaders {
  const out: CfHeaders = {};
  if (!isObj(h)) return out;
  for (const [name, list] of Object.entries(h)) {
    const lower = name.toLowerCase();
    const entries = Array.isArray(list) ? list : [list];
    for (const e of entries) {
      const value = isObj(e) ? String(e.value ?? '') : String(e);
      const key = isObj(e) && typeof e.key === 'string' ? e.key : titleCase(lower);
      (out[lower] ??= []).push({ key, value });
    }
  }
  return out;
}

/** `--header 'Name: value'` → `[name, value]`. */
export function parseHeaderFlag(s: string): [string, string] {
  const i = s.indexOf(':');
  if (i <= 0) throw new UsageError(`--header "${s}" must look like 'Name: value'`);
  const name = s.slice(0, i).trim();
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
    throw new UsageError(`--header "${s}": "${name}" is not a valid header name`);
  return [name, s.slice(i + 1).trim()];
}

/** `--env K=V` → `[K, V]`. */
export function parseEnvFlag(s: string): [string, string] {
  const i = s.indexOf('=');
  if (i <= 0) throw new UsageError(`--env "${s}" must look like NAME=value`);
  const name = s.slice(0, i);
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name))
    throw new UsageError(`--env "${s}": "${name}" is not a valid variable name`);
  return [name, s.slice(i + 1)];
}

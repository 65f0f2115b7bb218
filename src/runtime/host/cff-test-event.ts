/**
 * @module runtime/host/cff-test-event
 * AWS's CloudFront Functions test event, the JSON `aws cloudfront test-function` takes
 * (`version`, `context.eventType`, `viewer`, `request`, `response`), read into the edge's
 * Lambda@Edge shapes so `verge invoke` and the control plane's test run it like a request that
 * reached the edge (the runtime turns it back into the CloudFront Functions event). Without
 * this, such an object was read as a Lambda@Edge request: uri `/`, no headers.
 */
import { titleCase } from '../../shared/lambda-edge/headers.js';
import type { CfHeaders, CfRequest, CfResponse } from '../../shared/lambda-edge/index.js';
import { cffResponseToLambda, fromValues } from './cff.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface CffTestEvent {
  eventType: 'viewer-request' | 'viewer-response';
  request: CfRequest;
  response?: CfResponse;
}

/** Whether `json` has the CloudFront Functions test event's shape (and is not a Lambda@Edge event). */
export function isCffTestEvent(json: unknown): boolean {
  return (
    isObj(json) &&
    !('Records' in json) &&
    isObj(json.context) &&
    isObj(json.request) &&
    typeof json.version === 'string'
  );
}

/** An Error naming the field (as `what.field`) when the event is not one CloudFront would take. */
export function fromCffTestEvent(json: Obj, what: string, clientIpDefault: string): CffTestEvent {
  const fail = (field: string, message: string) => new Error(`${what}: ${field} ${message}`);
  if (json.version !== '1.0') throw fail('version', `must be "1.0" (got ${JSON.stringify(json.version)})`);
  const eventType = (json.context as Obj).eventType;
  if (eventType !== 'viewer-request' && eventType !== 'viewer-response')
    throw fail('context.eventType', `must be viewer-request or viewer-response (got ${JSON.stringify(eventType)})`);
  const r = json.request as Obj;
  for (const k of ['method', 'uri'] as const)
    if (r[k] !== undefined && typeof r[k] !== 'string') throw fail(`request.${k}`, 'must be a string');
  const viewer = isObj(json.viewer) ? json.viewer : {};
  let lines: Array<[string, string]>;
  let query: Array<[string, string]>;
  let cookies: Array<[string, string]>;
  try {
    lines = fromValues(r.headers, {}, 'request.headers');
    query = fromValues(r.querystring ?? {}, {}, 'request.querystring');
    cookies = fromValues(r.cookies ?? {}, {}, 'request.cookies');
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
  if (cookies.length) lines.push(['cookie', cookies.map(([k, v]) => `${k}=${v}`).join('; ')]);
  const request: CfRequest = {
    clientIp: typeof viewer.ip === 'string' ? viewer.ip : clientIpDefault,
    method: (r.method as string | undefined) ?? 'GET',
    uri: (r.uri as string | undefined) ?? '/',
    querystring: query.map(([k, v]) => (v === '' ? k : `${k}=${v}`)).join('&'),
    headers: headerMap(lines),
  };
  if (eventType === 'viewer-request') return { eventType, request };
  if (!isObj(json.response)) throw fail('response', 'must be an object for a viewer-response event');
  const status = json.response.statusCode;
  if (!Number.isInteger(status)) throw fail('response.statusCode', 'must be an integer');
  let adapted: Obj;
  try {
    adapted = cffResponseToLambda(json.response, undefined);
  } catch (e) {
    throw new Error(`${what}: response.${(e as Error).message}`);
  }
  const headers = headerMap(
    Object.entries(adapted.headers as Record<string, Array<{ value: unknown }>>).flatMap(([n, l]) =>
      l.map((e): [string, string] => [n, String(e.value)]),
    ),
  );
  const response: CfResponse = { status: String(status), headers };
  if (typeof adapted.statusDescription === 'string') response.statusDescription = adapted.statusDescription;
  return { eventType, request, response };
}

function headerMap(lines: Array<[string, string]>): CfHeaders {
  const h: CfHeaders = {};
  for (const [name, value] of lines) {
    const lower = name.toLowerCase();
    (h[lower] ??= []).push({ key: titleCase(lower), value: String(value) });
  }
  return h;
}

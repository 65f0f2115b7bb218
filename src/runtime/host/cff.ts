/**
 * @module runtime/host/cff
 * CloudFront Functions on the host side: the event adapter between the edge's Lambda@Edge
 * shape and CloudFront Functions' shape (spec 8.2: `{value, multiValue}` headers, cookies split
 * out of Cookie / Set-Cookie, querystring as an object, integer statusCode), the static
 * KeyValueStore (spec 8.4; the CloudFront import format or a plain map), and the compute meter
 * behind FUNCTION_THROTTLED (the sustained over-budget rule in docs/lambda-edge-compat.md).
 */
import { readFile, stat } from 'node:fs/promises';
import type { Clock } from '../../shared/clock.js';
import { VergeError } from '../../shared/errors.js';
import type {
  CfHeaders,
  CfRequest,
  CfResponse,
  CffCookie,
  CffEvent,
  CffValue,
  EventType,
  FunctionSource,
} from '../../shared/lambda-edge/index.js';
import type { CffLimits, EventLimits } from './limits.js';
import { MESSAGES, validateResultValue, type Validated } from './validate.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function group<T>(pairs: Array<[string, T]>): Record<string, { first: T; all: T[] }> {
  const out: Record<string, { first: T; all: T[] }> = {};
  for (const [k, v] of pairs) {
    const g = (out[k] ??= { first: v, all: [] });
    g.all.push(v);
  }
  return out;
}

function toValues(pairs: Array<[string, string]>): Record<string, CffValue> {
  const out: Record<string, CffValue> = {};
  for (const [k, g] of Object.entries(group(pairs))) {
    out[k] = g.all.length > 1 ? { value: g.first, multiValue: g.all.map((value) => ({ value })) } : { value: g.first };
  }
  return out;
}

/** Query string pairs, raw (not percent-decoded; docs/lambda-edge-compat.md). */
function parseQuery(qs: string): Array<[string, string]> {
  if (qs === '') return [];
  return qs
    .split('&')
    .filter(Boolean)
    .map((p) => {
      const i = p.indexOf('=');
      return i < 0 ? [p, ''] : [p.slice(0, i), p.slice(i + 1)];
    });
}

function parseCookieHeader(lines: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const line of lines) {
    for (const part of line.split(';')) {
      const p = part.trim();
      if (!p) continue;
      const i = p.indexOf('=');
      out.push(i < 0 ? [p, ''] : [p.slice(0, i).trim(), p.slice(i + 1).trim()]);
    }
  }
  return out;
}

function headerValues(h: CfHeaders, skip: string): Record<string, CffValue> {
  const pairs: Array<[string, string]> = [];
  for (const [name, list] of Object.entries(h)) if (name !== skip) for (const e of list) pairs.push([name, e.value]);
  return toValues(pairs);
}

function setCookies(lines: string[]): Record<string, CffCookie> {
  const out: Record<string, CffCookie> = {};
  const parsed = lines.map((line): [string, { value: string; attributes?: string }] => {
    const semi = line.indexOf(';');
    const pair = semi < 0 ? line : line.slice(0, semi);
    const attributes = semi < 0 ? undefined : line.slice(semi + 1).trim();
    const eq = pair.indexOf('=');
    const name = (eq < 0 ? pair : pair.slice(0, eq)).trim();
    const value = eq < 0 ? '' : pair.slice(eq + 1).trim();
    return [name, attributes ? { value, attributes } : { value }];
  });
  for (const [name, g] of Object.entries(group(parsed)))
    out[name] = g.all.length > 1 ? { ...g.first, multiValue: g.all } : g.first;
  return out;
}

/** L@E record → CloudFront Functions event (spec 8.2). */
export function toCffEvent(
  eventType: EventType,
  cf: {
    config: { distributionDomainName: string; distributionId: string; requestId: string };
    request: CfRequest;
    response?: CfResponse;
  },
): CffEvent {
  const r = cf.request;
  const event: CffEvent = {
    version: '1.0',
    context: {
      distributionDomainName: cf.config.distributionDomainName,
      distributionId: cf.config.distributionId,
      eventType: eventType as 'viewer-request' | 'viewer-response',
      requestId: cf.config.requestId,
    },
    viewer: { ip: r.clientIp },
    request: {
      method: r.method,
      uri: r.uri,
      querystring: toValues(parseQuery(r.querystring)),
      headers: headerValues(r.headers, 'cookie'),
      cookies: toValues(parseCookieHeader((r.headers.cookie ?? []).map((e) => e.value))),
    },
  };
  if (cf.response) {
    const s = cf.response;
    event.response = {
      statusCode: Number(s.status),
      headers: headerValues(s.headers, 'set-cookie'),
      cookies: setCookies((s.headers['set-cookie'] ?? []).map((e) => e.value)),
    };
    if (s.statusDescription !== undefined) event.response.statusDescription = s.statusDescription;
  }
  return event;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** `{name: {value, multiValue?}}` → header lines, keeping unchanged duplicates (spec 8.2 rules). */
export function fromValues(v: unknown, before: Record<string, CffValue>, what: string): Array<[string, string]> {
  if (v === undefined) return [];
  if (!isObj(v)) throw new Error(`${what} must be an object`);
  const out: Array<[string, string]> = [];
  for (const [name, e] of Object.entries(v)) {
    if (!isObj(e)) throw new Error(`${what}.${name} must be an object with a value`);
    const prev = before[name];
    const mv = Array.isArray(e.multiValue) ? (e.multiValue as unknown[]) : undefined;
    if (mv && !(prev?.multiValue && same(mv, prev.multiValue))) {
      for (const m of mv) out.push([name, isObj(m) ? (m.value as string) : (m as string)]);
    } else if (mv && prev?.multiValue) {
      out.push([name, e.value as string]);
      for (const m of prev.multiValue.slice(1)) out.push([name, m.value]);
    } else {
      out.push([name, e.value as string]);
    }
  }
  return out;
}

function toHeaderMap(lines: Array<[string, unknown]>): Obj {
  const h: Record<string, Array<{ value: unknown }>> = {};
  for (const [name, value] of lines) (h[name] ??= []).push({ value });
  return h;
}

function cffRequestToLambda(r: Obj, before: CffEvent['request'], input: CfRequest): Obj {
  let querystring: unknown = r.querystring;
  if (typeof querystring === 'string') querystring = querystring.replace(/^\?/, '');
  else if (same(querystring, before.querystring)) querystring = input.querystring;
  else if (isObj(querystring)) {
    querystring = fromValues(querystring, before.querystring as Record<string, CffValue>, 'querystring')
      .map(([k, v]) => (v === '' ? k : `${k}=${v}`))
      .join('&');
  }
  const lines: Array<[string, unknown]> = fromValues(r.headers, before.headers, 'headers');
  if (same(r.cookies, before.cookies)) {
    for (const e of input.headers.cookie ?? []) lines.push(['cookie', e.value]);
  } else if (r.cookies !== undefined) {
    const cookie = fromValues(r.cookies, before.cookies, 'cookies').map(([k, v]) => `${k}=${v}`);
    if (cookie.length) lines.push(['cookie', cookie.join('; ')]);
  }
  return { uri: r.uri, querystring, headers: toHeaderMap(lines) };
}

export function cffResponseToLambda(r: Obj, before: CffEvent['response'] | undefined): Obj {
  const lines: Array<[string, unknown]> = fromValues(r.headers, before?.headers ?? {}, 'headers');
  if (r.cookies !== undefined) {
    if (!isObj(r.cookies)) throw new Error('cookies must be an object');
    for (const [name, c] of Object.entries(r.cookies)) {
      const all = isObj(c) && Array.isArray(c.multiValue) ? (c.multiValue as unknown[]) : [c];
      for (const x of all) {
        if (!isObj(x)) throw new Error(`cookies.${name} must be an object with a value`);
        lines.push(['set-cookie', `${name}=${String(x.value)}${x.attributes ? `; ${String(x.attributes)}` : ''}`]);
      }
    }
  }
  const out: Obj = { status: r.statusCode, headers: toHeaderMap(lines) };
  if (r.statusDescription !== undefined) out.statusDescription = r.statusDescription;
  if (typeof r.body === 'string') out.body = r.body;
  else if (isObj(r.body)) {
    out.body = r.body.data;
    out.bodyEncoding = r.body.encoding ?? 'text';
  } else if (r.body !== undefined) out.body = r.body;
  return out;
}

const asCff = (m: string) => m.replace(/The Lambda function/g, 'The CloudFront function');

/** CloudFront Functions result → validated L@E request or response. */
export function fromCffResult(
  eventType: EventType,
  input: { request: CfRequest; response?: CfResponse },
  cffInput: CffEvent,
  result: unknown,
  limits: EventLimits,
): Validated {
  if (!isObj(result)) return { ok: false, message: asCff(MESSAGES.notObject) };
  if (typeof result.statusCode === 'number' && !Number.isInteger(result.statusCode)) {
    return { ok: false, message: 'The CloudFront function result failed validation: statusCode must be an integer.' };
  }
  let adapted: Obj;
  try {
    const isResponse = eventType === 'viewer-response' || 'statusCode' in result;
    adapted = isResponse
      ? cffResponseToLambda(result, cffInput.response)
      : cffRequestToLambda(result, cffInput.request, input.request);
  } catch (e) {
    return { ok: false, message: `The CloudFront function result failed validation: ${(e as Error).message}.` };
  }
  const v = validateResultValue(eventType, input, adapted, limits, { viewerResponseWritable: true });
  return v.ok ? v : { ok: false, message: asCff(v.message) };
}

/** The static KeyValueStore: `{ "key": "value" }` or CloudFront's import format `{ "data": [{ "key", "value" }] }`. */
export interface KvsStore {
  get(key: string): string | null;
  meta(): { creationDateTime: string; lastUpdatedDateTime: string; keyCount: number };
}

export async function loadKvs(spec: NonNullable<FunctionSource['kvs']>, clock: Clock): Promise<KvsStore> {
  let raw: unknown = spec.data;
  let updated = clock.now();
  if (raw === undefined && spec.path) {
    try {
      raw = JSON.parse(await readFile(spec.path, 'utf8'));
      updated = (await stat(spec.path)).mtimeMs;
    } catch (e) {
      throw new VergeError(
        'FUNCTION_LOAD_ERROR',
        `KeyValueStore '${spec.id}' could not be read from ${spec.path}: ${(e as Error).message}`,
      );
    }
  }
  const map = new Map<string, string>();
  const rows = isObj(raw) && Array.isArray(raw.data) ? (raw.data as unknown[]) : undefined;
  if (rows) {
    for (const row of rows)
      if (isObj(row) && typeof row.key === 'string')
        map.set(row.key, typeof row.value === 'string' ? row.value : JSON.stringify(row.value));
  } else if (isObj(raw)) {
    for (const [k, v] of Object.entries(raw)) map.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  } else if (raw !== undefined) {
    throw new VergeError(
      'FUNCTION_LOAD_ERROR',
      `KeyValueStore '${spec.id}' data must be an object or { "data": [{ "key", "value" }] }`,
    );
  }
  const iso = new Date(updated).toISOString();
  return {
    get: (key) => map.get(key) ?? null,
    meta: () => ({ creationDateTime: iso, lastUpdatedDateTime: iso, keyCount: map.size }),
  };
}

/**
 * Compute utilization per invocation (CPU time / budget) and the sustained over-budget rule:
 * when the mean of the last `throttleWindow` invocations exceeds 100 %, the function is
 * throttled for `throttleCooldownMs` (on the injected clock), then measured afresh.
 */
export class ComputeMeter {
  #window: number[] = [];
  #until = 0;
  constructor(
    private readonly limits: CffLimits,
    private readonly clock: Clock,
  ) {}

  throttled(): boolean {
    return this.clock.now() < this.#until;
  }

  /** Record one invocation; returns its utilization in percent. */
  record(cpuNs: bigint): number {
    const util = Math.round((Number(cpuNs) / 1e6 / this.limits.computeBudgetMs) * 100);
    this.#window.push(util);
    if (this.#window.length > this.limits.throttleWindow) this.#window.shift();
    if (this.#window.length === this.limits.throttleWindow) {
      const mean = this.#window.reduce((a, b) => a + b, 0) / this.#window.length;
      if (mean > 100) {
        this.#until = this.clock.now() + this.limits.throttleCooldownMs;
        this.#window = [];
      }
    }
    return util;
  }
}

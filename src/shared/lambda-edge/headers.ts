/**
 * @module shared/lambda-edge/headers
 * Conversions between Node's raw header arrays and CloudFront's header map
 * (`{ lower: [{ key, value }] }`, spec 1.7), and small helpers every stage uses.
 */
import type { CfHeaders } from './events.js';

/** Names already title-cased: the same few (Date, Accept-Ranges, ...) come up on every response. */
const titled = new Map<string, string>();
const TITLED_MAX = 1024;

/** `x-my-header` → `X-My-Header`: how CloudFront derives a missing `key` (spec 1.7). */
export function titleCase(name: string): string {
  let t = titled.get(name);
  if (t === undefined) {
    t = name.replace(/(^|-)([a-z])/g, (_m, sep: string, c: string) => sep + c.toUpperCase());
    // Bounded: header names come from origins and functions, so there is no fixed set.
    if (titled.size < TITLED_MAX) titled.set(name, t);
  }
  return t;
}

/** Build a header map from Node's `rawHeaders` ([name, value, name, value, ...]). */
export function fromRawHeaders(raw: readonly string[]): CfHeaders {
  const out: CfHeaders = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = raw[i]!;
    const lower = key.toLowerCase();
    (out[lower] ??= []).push({ key, value: raw[i + 1]! });
  }
  return out;
}

/** Flatten a header map into [name, value, ...] pairs with the `key` spelling (or Title-Case). */
export function toRawHeaders(h: CfHeaders): string[] {
  const out: string[] = [];
  for (const lower of Object.keys(h)) {
    for (const e of h[lower]!) out.push(e.key ?? titleCase(lower), e.value);
  }
  return out;
}

/** First value of a header, or undefined. */
export function getHeader(h: CfHeaders, lower: string): string | undefined {
  return h[lower]?.[0]?.value;
}

/** All values of a header joined with `, ` (for list-valued headers such as Cache-Control). */
export function getHeaderJoined(h: CfHeaders, lower: string): string | undefined {
  const list = h[lower];
  if (!list || list.length === 0) return undefined;
  return list.map((e) => e.value).join(', ');
}

/** Replace a header with one value, keeping the existing `key` spelling if there was one. */
export function setHeader(h: CfHeaders, lower: string, value: string, key?: string): void {
  const prev = h[lower]?.[0]?.key;
  h[lower] = [{ key: key ?? prev ?? titleCase(lower), value }];
}

export function deleteHeader(h: CfHeaders, lower: string): void {
  // `delete` of a name that is absent still costs a runtime call; most deletions find nothing.
  if (Object.hasOwn(h, lower)) delete h[lower];
}

/** Append one more line of a header. */
export function addHeader(h: CfHeaders, lower: string, value: string, key?: string): void {
  (h[lower] ??= []).push({ key: key ?? titleCase(lower), value });
}

/** A deep copy (header maps are handed to functions and must not alias the edge's own). */
export function cloneHeaders(h: CfHeaders): CfHeaders {
  const out: CfHeaders = {};
  for (const k of Object.keys(h))
    out[k] = h[k]!.map((e) => (e.key === undefined ? { value: e.value } : { key: e.key, value: e.value }));
  return out;
}

/** Hop-by-hop headers (RFC 9110 7.6.1) never forwarded between connections. */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Remove hop-by-hop headers, including any named by `Connection`. */
export function stripHopByHop(h: CfHeaders): void {
  const named = getHeaderJoined(h, 'connection');
  if (named) for (const n of named.split(',')) delete h[n.trim().toLowerCase()];
  for (const n of HOP_BY_HOP) delete h[n];
}

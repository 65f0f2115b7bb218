/**
 * @module runtime/python/host-fetch
 * Outbound HTTP for Python's `urllib.request.urlopen`, performed by the host on the interpreter's
 * behalf (the interpreter process has no network) through the same request path as JavaScript's
 * `fetch` (runtime/host/builtins/host-http.ts): the function's egress policy on every connection
 * and every redirect hop, a timeout (the caller's `timeout=`, capped by the profile's fetch
 * timeout and the invocation's remaining time) and a body size cap.
 */
import { performRequest } from '../host/builtins/host-http.js';
import type { EgressPolicy } from '../host/egress/policy.js';

export interface FetchCall {
  op: 'fetch';
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | null;
  timeoutMs: number | null;
}

export interface FetchLimits {
  timeoutMs: number;
  maxBytes: number;
  /** The function's egress policy (default: public addresses only). */
  egress?: EgressPolicy;
}

export type FetchAnswer =
  | { status: number; statusText: string; url: string; headers: Array<[string, string]>; body: string }
  | { error: string; timeout?: boolean };

/** Perform one urlopen call; never throws (errors become URLError on the Python side). */
export async function hostFetch(
  call: FetchCall,
  limits: FetchLimits,
  log?: (level: 'warn' | 'error', message: string) => void,
): Promise<FetchAnswer> {
  let url: URL;
  try {
    url = new URL(call.url);
  } catch {
    return { error: `unknown url type: ${JSON.stringify(call.url)}` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { error: `unknown url type: ${url.protocol}` };
  const timeoutMs = Math.max(1, Math.min(call.timeoutMs ?? limits.timeoutMs, limits.timeoutMs));
  const a = await performRequest(
    {
      url: url.href,
      method: call.method,
      headers: Object.entries(call.headers ?? {}),
      body: call.body === null ? null : new Uint8Array(Buffer.from(call.body, 'base64')),
      timeoutMs,
      redirect: 'follow',
    },
    {
      fetchTimeoutMs: limits.timeoutMs,
      maxFetchBytes: limits.maxBytes,
      ...(limits.egress ? { egress: limits.egress } : {}),
    },
    log ? { log } : undefined,
  );
  if (!a.ok) {
    if (a.code === 'ETIMEDOUT') return { error: 'timed out', timeout: true };
    if (a.code === 'ERR_FETCH_TOO_LARGE') return { error: `response body exceeds ${limits.maxBytes} bytes` };
    return { error: a.code.startsWith('ERR_') ? a.message : `${a.code}: ${a.message}` };
  }
  return {
    status: a.status,
    statusText: a.statusText,
    url: a.url,
    headers: a.headers,
    body: Buffer.from(a.body.buffer, a.body.byteOffset, a.body.byteLength).toString('base64'),
  };
}

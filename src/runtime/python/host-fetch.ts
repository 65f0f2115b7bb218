/**
 * @module runtime/python/host-fetch
 * Outbound HTTP for Python's `urllib.request.urlopen`, performed by the host on the interpreter's
 * behalf (the interpreter process has no network). Bounded by a timeout (the caller's `timeout=`,
 * capped by the profile's fetch timeout and the invocation's remaining time) and a body size cap.
 */
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
}

export type FetchAnswer =
  | { status: number; statusText: string; url: string; headers: Array<[string, string]>; body: string }
  | { error: string; timeout?: boolean };

async function readCapped(res: Response, maxBytes: number): Promise<Buffer | null> {
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > maxBytes) return null;
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** Perform one urlopen call; never throws (errors become URLError on the Python side). */
export async function hostFetch(call: FetchCall, limits: FetchLimits): Promise<FetchAnswer> {
  let url: URL;
  try {
    url = new URL(call.url);
  } catch {
    return { error: `unknown url type: ${JSON.stringify(call.url)}` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { error: `unknown url type: ${url.protocol}` };
  const timeoutMs = Math.max(1, Math.min(call.timeoutMs ?? limits.timeoutMs, limits.timeoutMs));
  try {
    const res = await fetch(url, {
      method: call.method,
      headers: call.headers,
      ...(call.body !== null ? { body: Buffer.from(call.body, 'base64') } : {}),
      redirect: 'follow',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await readCapped(res, limits.maxBytes);
    if (body === null) return { error: `response body exceeds ${limits.maxBytes} bytes` };
    return {
      status: res.status,
      statusText: res.statusText,
      url: res.url || call.url,
      headers: [...res.headers.entries()],
      body: body.toString('base64'),
    };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return { error: 'timed out', timeout: true };
    return { error: err.cause?.code ?? err.cause?.message ?? err.message };
  }
}

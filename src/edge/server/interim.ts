/**
 * @module edge/server/interim
 * Interim responses from the origin, passed on to the viewer before the final response: a proxy
 * forwards 1xx responses it did not ask for (RFC 9110 15.2), and a client that waits for a slow
 * page can preload what a 103 Early Hints names. Only 102 Processing and 103 Early Hints; never
 * to an HTTP/1.0 viewer (RFC 9110 15.2: a server must not send it 1xx), never once the final
 * response has started, and never stored (the cache keeps the final response only).
 */
import type { ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import type { InterimSink } from '../pipeline/transaction.js';

/** The writer of interim responses for this viewer, or undefined when it cannot take them. */
export function interimSink(res: ServerResponse | Http2ServerResponse, httpVersion: string): InterimSink | undefined {
  if (httpVersion === '1.0' || httpVersion === '0.9') return undefined;
  const h2 = httpVersion === '2.0';
  return (status, headers) => {
    if (res.headersSent || res.writableEnded) return;
    try {
      if (status === 102 && !h2) (res as ServerResponse).writeProcessing();
      else if (status === 103) {
        const hints: Record<string, string | string[]> = {};
        for (const [name, value] of headers) {
          const k = name.toLowerCase();
          const prev = hints[k];
          hints[k] = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), value];
        }
        // Node writes a 103 only with a Link field (what Early Hints is for).
        res.writeEarlyHints(hints);
      }
    } catch {
      // A hint Node refuses (a malformed Link) is dropped: the final response still follows.
    }
  };
}

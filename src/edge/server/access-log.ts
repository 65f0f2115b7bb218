/**
 * @module edge/server/access-log
 * One JSON line per viewer request with CloudFront's standard-log fields (x-edge-location,
 * c-ip, cs-method, cs(Host), cs-uri-stem, sc-status, sc-bytes, time-taken, x-edge-result-type,
 * x-edge-detailed-result-type, x-edge-request-id, ...). Lines are batched per tick so logging
 * costs one write per burst, not one per request.
 */
import { createWriteStream, type WriteStream } from 'node:fs';

export type AccessLogSink = (record: Record<string, unknown>) => void;

export function createAccessLog(target: 'stdout' | 'off' | string): { sink: AccessLogSink; close(): Promise<void> } {
  if (target === 'off') return { sink: () => {}, close: async () => {} };
  const stream: NodeJS.WritableStream | WriteStream =
    target === 'stdout' ? process.stdout : createWriteStream(target, { flags: 'a' });
  let buf: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (buf.length === 0) return;
    stream.write(buf.join(''));
    buf = [];
  };
  return {
    sink(record) {
      buf.push(JSON.stringify(record) + '\n');
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        flush();
        if (stream === process.stdout) resolve();
        else (stream as WriteStream).end(() => resolve());
      }),
  };
}

/**
 * @module test/harness/raw
 * A raw-socket client for scenario tests that must send bytes no well-behaved HTTP client would
 * (bad request lines, CR/LF inside header values, oversize headers, HTTP/1.0). It writes the
 * bytes, reads until the server closes the connection (or a bounded timeout), and parses the
 * first response's status line, headers and body.
 */
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface RawResponse {
  /** 0 when no status line arrived (the server closed without answering). */
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
  /** Everything the server sent. */
  raw: string;
  /** True when the server closed the connection before the timeout. */
  closed: boolean;
}

/** Send `data` to host:port and collect the answer (bounded by `timeoutMs`). */
export function rawRequest(url: string, data: string | Buffer, timeoutMs = 3000): Promise<RawResponse> {
  const { hostname, port, protocol } = new URL(url);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let closed = false;
    // https: URLs speak HTTP/1.1 over TLS (ALPN http/1.1), trusting any certificate.
    const socket =
      protocol === 'https:'
        ? tlsConnect({ host: hostname, port: Number(port), rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] })
        : connect({ host: hostname, port: Number(port) });
    const ready = protocol === 'https:' ? 'secureConnect' : 'connect';
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(parseRaw(Buffer.concat(chunks).toString('latin1'), closed));
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => {
      closed = true;
      finish();
    });
    socket.on('error', () => {
      closed = true;
      finish();
    });
    socket.on(ready, () => socket.write(data));
  });
}

export function parseRaw(raw: string, closed: boolean): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  if (!raw.startsWith('HTTP/') || end < 0) return { status: 0, headers: {}, body: '', raw, closed };
  const lines = raw.slice(0, end).split('\r\n');
  const status = Number(lines[0]!.split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    const k = line.slice(0, i).trim().toLowerCase();
    const v = line.slice(i + 1).trim();
    headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
  }
  let body = raw.slice(end + 4);
  if (headers['content-length'] !== undefined) body = body.slice(0, Number(headers['content-length']));
  return { status, headers, body, raw, closed };
}

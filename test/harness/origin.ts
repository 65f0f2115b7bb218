/**
 * @module test/harness/origin
 * A scripted origin for scenario tests (the varnishtest `s1` server): routes answer with
 * whatever the test says, and every request that reached the origin is recorded so tests can
 * assert on counters ("N concurrent misses made 1 origin fetch").
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  path: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  /** The TCP peer port: requests sharing it came over one kept-alive connection. */
  remotePort: number;
}

export interface ScriptedResponse {
  status?: number;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /** Wait this long before answering (a slow origin). */
  delayMs?: number;
  /** Destroy the socket instead of answering (a resetting origin). */
  reset?: boolean;
  /** Never answer (a hanging origin). */
  hang?: boolean;
  /** Interim responses sent before the final one: 102 Processing or 103 Early Hints with headers. */
  interim?: Array<{ status: 102 | 103; headers?: Record<string, string> }>;
}

export type Route = (req: RecordedRequest, n: number) => ScriptedResponse | Promise<ScriptedResponse>;

export interface ScriptedOrigin {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Requests whose path equals `path` (all when omitted). */
  count(path?: string): number;
  /**
   * Resolves once `count(path)` reaches `n` (the origin has received the request, before its
   * route answers): tests order steps on what the origin saw instead of on a sleep.
   */
  reached(path: string, n: number): Promise<void>;
  route(path: string, r: Route | ScriptedResponse): void;
  close(): Promise<void>;
}

export async function startOrigin(routes: Record<string, Route | ScriptedResponse> = {}): Promise<ScriptedOrigin> {
  const table = new Map<string, Route>();
  const add = (p: string, r: Route | ScriptedResponse) => table.set(p, typeof r === 'function' ? r : () => r);
  for (const [p, r] of Object.entries(routes)) add(p, r);
  const requests: RecordedRequest[] = [];
  const perPath = new Map<string, number>();
  const waiters: Array<{ path: string; n: number; done: () => void }> = [];
  const count = (path?: string) =>
    path === undefined ? requests.length : requests.filter((r) => r.path === path).length;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const url = req.url ?? '/';
      const path = url.split('?')[0]!;
      const rec: RecordedRequest = {
        method: req.method ?? 'GET',
        url,
        path,
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks),
        remotePort: req.socket.remotePort ?? 0,
      };
      requests.push(rec);
      const n = (perPath.get(path) ?? 0) + 1;
      perPath.set(path, n);
      for (const w of waiters.filter((x) => x.path === path && x.n <= n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.done();
      }
      const route = table.get(path) ?? table.get('*');
      const out: ScriptedResponse = route ? await route(rec, n) : { status: 404, body: 'no route' };
      if (out.delayMs) await new Promise((r) => setTimeout(r, out.delayMs));
      if (out.reset) return void req.socket.destroy();
      if (out.hang) return;
      for (const i of out.interim ?? []) {
        if (i.status === 102) res.writeProcessing();
        else res.writeEarlyHints(i.headers ?? {});
      }
      const body = out.body === undefined ? '' : out.body;
      const headers: Record<string, string | string[] | number> = { ...(out.headers ?? {}) };
      if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-length'))
        headers['content-length'] = Buffer.byteLength(body);
      res.writeHead(out.status ?? 200, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    count,
    reached: (path, n) =>
      count(path) >= n ? Promise.resolve() : new Promise<void>((done) => waiters.push({ path, n, done })),
    route: add,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

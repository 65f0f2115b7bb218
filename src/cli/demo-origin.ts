/**
 * @module cli/demo-origin
 * The bundled demo origin `npm start` puts behind the edge: a few pages with different caching
 * headers, an API that must not be cached, tagged objects for tag invalidation, and a slow path
 * to watch request collapsing. It counts what it serves so people can see the cache working.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DemoOrigin {
  url: string;
  port: number;
  hits: Map<string, number>;
  close(): Promise<void>;
}

const PAGE = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>` +
  `<style>body{font-family:system-ui,sans-serif;max-width:42rem;margin:3rem auto;line-height:1.5;padding:0 1rem}` +
  `code{background:#f2f2f2;padding:.1rem .3rem;border-radius:3px}</style></head><body>${body}</body></html>\n`;

export function startDemoOrigin(port = 9000, host = '127.0.0.1'): Promise<DemoOrigin> {
  const hits = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://origin');
    const path = url.pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const served = new Date().toISOString();
    const send = (status: number, headers: Record<string, string>, body: string) => {
      res.writeHead(status, { 'content-length': Buffer.byteLength(body), 'x-origin-served-at': served, ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (path === '/' || path === '/index.html') {
      return send(
        200,
        {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'max-age=60',
          etag: '"home-v1"',
          'surrogate-key': 'home pages',
        },
        PAGE(
          'Verge demo',
          `<h1>Served through Verge</h1><p>This page came from the demo origin at ${served}. ` +
            `It is cached for 60 seconds: reload and look at the <code>X-Cache</code> and <code>Age</code> headers.</p>` +
            `<ul><li><a href="/hello">/hello</a> (cached 5 minutes)</li><li><a href="/api/time">/api/time</a> (never cached)</li><li><a href="/api/geo">/api/geo</a> (where the edge places you)</li>` +
            `<li><a href="/products/42">/products/42</a> (tagged <code>product-42</code>)</li><li><a href="/missing">/missing</a> (404, cached 10 s)</li></ul>` +
            `<p>Your request reached the origin with these headers:</p><pre>${escape(JSON.stringify(req.headers, null, 2))}</pre>`,
        ),
      );
    }
    if (path === '/hello')
      return send(
        200,
        { 'content-type': 'text/plain', 'cache-control': 'max-age=300' },
        `hello from the origin at ${served}\n`,
      );
    if (path === '/api/time') {
      return send(
        200,
        { 'content-type': 'application/json', 'cache-control': 'no-store' },
        JSON.stringify({ time: served, method: req.method }) + '\n',
      );
    }
    if (path === '/api/geo') {
      // What the edge says about the viewer: the demo's /api/* behavior forwards CloudFront-*
      // headers (AllViewerAndCloudFrontHeaders-2022-06).
      const geo = Object.fromEntries(
        Object.entries(req.headers).filter(([k]) => k.startsWith('cloudfront-viewer-') && !k.endsWith('-header-order')),
      );
      return send(
        200,
        { 'content-type': 'application/json', 'cache-control': 'no-store' },
        JSON.stringify(geo, null, 2) + '\n',
      );
    }
    if (path.startsWith('/products/')) {
      const id = path.slice('/products/'.length);
      return send(
        200,
        {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'max-age=3600',
          'surrogate-key': `product-${id} products`,
        },
        PAGE(
          `Product ${id}`,
          `<h1>Product ${escape(id)}</h1><p>Rendered at ${served}. Purge it with the tag <code>product-${escape(id)}</code>.</p>`,
        ),
      );
    }
    if (path === '/slow') {
      setTimeout(
        () => send(200, { 'content-type': 'text/plain', 'cache-control': 'max-age=30' }, `slow answer at ${served}\n`),
        500,
      );
      return;
    }
    send(
      404,
      { 'content-type': 'text/html; charset=utf-8' },
      PAGE('Not found', `<h1>404</h1><p>No page at ${escape(path)}.</p>`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const p = (server.address() as AddressInfo).port;
      resolve({
        url: `http://${host}:${p}`,
        port: p,
        hits,
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });
}

function escape(s: string): string {
  return s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
}

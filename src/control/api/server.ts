/**
 * @module control/api/server
 * The HTTP server of `verge control`: `/api/v1/*` dispatched through the route table (bearer
 * auth, body validation, ETag, errors as `{ error }`), and the web console's static files at `/`
 * when a console folder is given. One log line per request, never with a body (bodies carry
 * secrets and code).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { VergeError, toVergeError } from '../../shared/errors.js';
import type { App } from '../app.js';
import { authenticate } from '../auth/tokens.js';
import type { TokenRecord } from '../store/types.js';
import { errorReply, etagOf, readJson, sendEmpty, sendJson } from './http.js';
import type { Route, RouteCtx, Router } from './router.js';
import { parseBody } from './schema.js';

export const API_PREFIX = '/api/v1';

function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  const m = h === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1];
}

async function authorize(app: App, route: Route, req: IncomingMessage): Promise<TokenRecord | undefined> {
  if (route.access === 'public') return undefined;
  const raw = bearer(req);
  if (raw === undefined)
    throw new VergeError(
      'UNAUTHORIZED',
      'this route needs Authorization: Bearer <token> (the admin token is in <data-dir>/admin-token)',
    );
  const token = await authenticate(app.store, raw);
  if (!token)
    throw new VergeError(
      'UNAUTHORIZED',
      'the token is unknown or revoked: use another token (POST /api/v1/tokens creates one)',
    );
  if (route.access === 'admin' && token.kind !== 'admin') {
    throw new VergeError(
      'FORBIDDEN',
      `an edge token (PoP ${token.pop}) can only use /api/v1/edge/*; use an admin token`,
    );
  }
  return token;
}

async function dispatch(
  app: App,
  router: Router,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<number> {
  const path = url.pathname.slice(API_PREFIX.length) || '/';
  const method = req.method ?? 'GET';
  const m = router.match(method, path);
  if (!('route' in m)) {
    if (m.allowed.length > 0) {
      throw new VergeError(
        'NOT_FOUND',
        `${method} is not allowed on ${url.pathname} (allowed: ${m.allowed.join(', ')})`,
        { details: { status: 405 } },
      );
    }
    throw new VergeError('NOT_FOUND', `no route ${method} ${url.pathname} (GET ${API_PREFIX}/openapi.json lists them)`);
  }
  const { route, params } = m;
  const token = await authorize(app, route, req);
  let body: unknown;
  if (route.body) {
    body = await readJson(req);
    if (route.body && route.bodyCheckedBy !== 'handler') body = parseBody(route.body, body ?? {});
  }
  const ifMatch = req.headers['if-match'];
  const ctx: RouteCtx = {
    req,
    res,
    params,
    query: url.searchParams,
    token,
    ifMatch: typeof ifMatch === 'string' ? ifMatch : undefined,
    body,
  };
  const reply = await route.handler(ctx);
  if ('stream' in reply) return res.statusCode;
  const headers = { ...(reply.headers ?? {}), ...(reply.etag !== undefined ? { etag: etagOf(reply.etag) } : {}) };
  if (reply.status === 204 || reply.body === undefined) sendEmpty(res, reply.status, headers);
  else if (method === 'HEAD') sendEmpty(res, reply.status, headers);
  else sendJson(res, reply.status, reply.body, headers);
  return reply.status;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/**
 * Headers on every console file: no framing (clickjacking), and a policy the built console runs
 * under: its own scripts and API only. `data:` images cover the inline favicon and the forms'
 * icons. Styles allow 'unsafe-inline' because the editor (CodeMirror) injects its theme as a
 * <style> element; a style cannot run code, and scripts stay 'self' only (no inline, no eval).
 * test/browser/console.test.ts drives the whole console with this policy and fails on a violation.
 */
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; " +
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** A one-line page instead of the console when it was never built (a checkout without `npm install`). */
function consoleMissing(res: ServerResponse): number {
  const html = `<!doctype html><title>Verge</title><p>The web console is not built (console/dist is missing): run <code>npm run build:console</code> and reload. The API is under ${API_PREFIX}.</p>\n`;
  res.writeHead(503, {
    ...CONSOLE_HEADERS,
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
  });
  res.end(html);
  return 503;
}

/** The console's files; unknown paths get index.html (a single-page app routes itself). */
async function serveConsole(dir: string, url: URL, res: ServerResponse): Promise<number> {
  // A malformed %-escape is no file: the single-page fallback answers it like any unknown path.
  const decoded = (() => {
    try {
      return decodeURIComponent(url.pathname);
    } catch {
      return '/';
    }
  })();
  const rel = normalize(decoded).replace(/^([/\\])+/, '');
  let file = join(dir, rel);
  if (!file.startsWith(normalize(dir + sep)) && file !== normalize(dir))
    throw new VergeError('NOT_FOUND', 'no such file');
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) file = join(dir, 'index.html');
  const data = await readFile(file).catch(() => undefined);
  if (!data) return consoleMissing(res);
  res.writeHead(200, {
    ...CONSOLE_HEADERS,
    'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': data.length,
  });
  res.end(data);
  return 200;
}

export function createApiServer(app: App, router: Router, opts: { consoleDir?: string } = {}): Server {
  return createServer((req, res) => {
    const t0 = app.clock.monotonic();
    // A target that is no URL (`http://[`) must not throw out of the request listener.
    const url = URL.canParse(req.url ?? '/', 'http://control.invalid')
      ? new URL(req.url ?? '/', 'http://control.invalid')
      : null;
    if (!url) {
      sendJson(res, 400, errorReply(new VergeError('VALIDATION_FAILED', 'the request target is not a URL path')).body);
      return;
    }
    const api = url.pathname === API_PREFIX || url.pathname.startsWith(API_PREFIX + '/');
    const work = api
      ? dispatch(app, router, req, res, url)
      : opts.consoleDir && (req.method === 'GET' || req.method === 'HEAD')
        ? serveConsole(opts.consoleDir, url, res)
        : Promise.reject(new VergeError('NOT_FOUND', `nothing at ${url.pathname}: the API is under ${API_PREFIX}`));
    work
      .catch((e: unknown) => {
        const { status, body } = errorReply(e);
        if (status >= 500)
          app.logger.log('error', 'api error', {
            method: req.method,
            path: url.pathname,
            error: toVergeError(e).stack,
          });
        if (res.headersSent) res.destroy();
        else sendJson(res, status, body);
        return status;
      })
      .then((status) => {
        const level = status >= 500 ? 'warn' : 'debug';
        app.logger.log(level, 'api request', {
          method: req.method,
          path: url.pathname,
          status,
          ms: Math.round(app.clock.monotonic() - t0),
        });
      })
      .catch(() => {});
  });
}

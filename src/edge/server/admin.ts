/**
 * @module edge/server/admin
 * The admin listener (`--admin-port`, loopback by default): `/healthz`, Prometheus `/metrics`,
 * `POST /invalidations` (`{"paths": [...], "tags": [...], "distributionId"?}`), and
 * `GET /config` (the active plan's version and distributions). Every route but `/healthz` (a
 * liveness probe that reveals nothing a viewer could not learn) needs `Authorization: Bearer
 * <admin token>` (admin-token.ts), checked before a body byte is read: loopback is no boundary.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isVergeError } from '../../shared/errors.js';
import { bearerMatches } from './admin-token.js';

/** Answers may be promises: with `--workers N` the primary gathers them from its workers. */
export interface AdminApi {
  health(): Record<string, unknown> | Promise<Record<string, unknown>>;
  metrics(): string | Promise<string>;
  invalidate(body: unknown): Promise<Record<string, unknown>>;
  config(): Record<string, unknown> | Promise<Record<string, unknown>>;
}

/** Answer with `get()`'s value, or 500 with the error when it fails (a worker that went away). */
function sendAsync(res: ServerResponse, get: () => unknown, type?: string): void {
  Promise.resolve()
    .then(get)
    .then(
      (v) => send(res, 200, v, type),
      (e: unknown) => send(res, 500, { error: isVergeError(e) ? e.code : 'INTERNAL', message: (e as Error).message }),
    );
}

const MAX_ADMIN_BODY = 1024 * 1024;

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = type === 'application/json' ? JSON.stringify(body, null, 2) + '\n' : String(body);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_ADMIN_BODY) reject(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => {
      try {
        resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {});
      } catch (e) {
        reject(new Error(`the body is not JSON: ${(e as Error).message}`));
      }
    });
    req.on('error', reject);
  });
}

export interface AdminAuth {
  token: string;
  /** Where an operator finds the token, for the 401 message (a path, or how to get it). */
  where: string;
}

export function startAdmin(api: AdminApi, host: string, port: number, auth: AdminAuth): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') return sendAsync(res, () => api.health());
    if (!bearerMatches(req.headers.authorization, auth.token)) {
      // Unread body: close the connection rather than read what an unauthenticated caller sends.
      res.setHeader('connection', 'close');
      res.setHeader('www-authenticate', 'Bearer realm="verge-edge-admin"');
      return send(res, 401, {
        error: 'UNAUTHORIZED',
        message: `the admin listener needs Authorization: Bearer <token>; the token is ${auth.where}`,
      });
    }
    if (req.method === 'GET' && path === '/metrics')
      return sendAsync(res, () => api.metrics(), 'text/plain; version=0.0.4');
    if (req.method === 'GET' && path === '/config') return sendAsync(res, () => api.config());
    if (req.method === 'POST' && path === '/invalidations') {
      readJson(req)
        .then((body) => api.invalidate(body))
        .then(
          (out) => send(res, 201, out),
          (e: unknown) =>
            send(res, 400, { error: isVergeError(e) ? e.code : 'BAD_REQUEST', message: (e as Error).message }),
        );
      return;
    }
    send(res, 404, {
      error: 'NOT_FOUND',
      message: `no admin route ${req.method} ${path}; try /healthz, /metrics, /config, POST /invalidations`,
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

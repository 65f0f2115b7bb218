/**
 * @module control/api/server
 * The HTTP server of `verge control`, on Fastify 5: every route of the table (route.ts) as a
 * Fastify route under /api/v1 with its schema (so @fastify/swagger writes the OpenAPI document
 * from it), bearer auth before the body is read, bodies parsed as JSON whatever their content
 * type and checked against their TypeBox schema (src/shared/schema/check.ts: every problem by
 * JSON path, "did you mean"), ETags, errors as `{ error }` (http.ts), 405 naming the allowed
 * methods, and the web console's files at `/` (console-files.ts). One log line per request,
 * never with a body (bodies carry secrets and code).
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import { VergeError, toVergeError } from '../../shared/errors.js';
import { checkSchema } from '../../shared/schema/check.js';
import type { App } from '../app.js';
import { authenticate } from '../auth/tokens.js';
import { validationError } from '../domain/validation.js';
import type { TokenRecord } from '../store/types.js';
import { serveConsole } from './console-files.js';
import { MAX_BODY_BYTES, errorReply, etagOf, notJson, openEventStream, tooLarge } from './http.js';
import { API_PREFIX, fastifyPath, routeSchema, swaggerOptions } from './openapi.js';
import type { Route, RouteCtx, RouteTable } from './route.js';

export { API_PREFIX } from './openapi.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller's token (set by the route's auth hook); undefined on public routes. */
    token: TokenRecord | undefined;
    /** When the request arrived, on the app's monotonic clock (for the log line). */
    startedAt: number;
  }
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  const m = h === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1];
}

async function authorize(app: App, route: Route, req: FastifyRequest): Promise<TokenRecord | undefined> {
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

const pathOf = (url: string) => url.split('?', 1)[0]!;
const isApi = (path: string) => path === API_PREFIX || path.startsWith(API_PREFIX + '/');

/** Fastify's own errors (body limit, content length, a closing server) in the API's words. */
function apiError(e: unknown, req: FastifyRequest): VergeError {
  if (e instanceof VergeError) return e;
  const f = e as Error & { code?: string; statusCode?: number };
  if (f.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return tooLarge(req.routeOptions.bodyLimit ?? MAX_BODY_BYTES);
  if (typeof f.code === 'string' && f.code.startsWith('FST_') && f.statusCode !== undefined && f.statusCode < 500)
    return new VergeError('VALIDATION_FAILED', f.message, { details: { status: f.statusCode } });
  return toVergeError(e);
}

function sendError(app: App, e: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
  const err = apiError(e, req);
  const { status, body } = errorReply(err);
  if (status >= 500)
    app.logger.log('error', 'api error', { method: req.method, path: pathOf(req.url), error: err.stack });
  // A stream that already started cannot turn into an error answer: end it.
  if (reply.raw.headersSent) {
    reply.raw.destroy();
    return undefined;
  }
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

function logRequest(app: App, req: { method: string; url: string; startedAt: number }, status: number): void {
  app.logger.log(status >= 500 ? 'warn' : 'debug', 'api request', {
    method: req.method,
    path: pathOf(req.url),
    status,
    // A request Fastify refused before its hooks (a malformed URL) has no start time.
    ms: req.startedAt > 0 ? Math.round(app.clock.monotonic() - req.startedAt) : 0,
  });
}

/** Register one route of the table: schema, body limit, auth, validation, the handler's Reply. */
function addRoute(app: App, server: FastifyInstance, route: Route): void {
  const bodyLimit = route.bodyLimit ?? MAX_BODY_BYTES;
  server.route({
    method: route.method,
    url: fastifyPath(route),
    schema: routeSchema(route),
    bodyLimit,
    // A distribution config is checked by the domain (schema, rules and the store, in one answer).
    ...(route.bodyCheckedBy === 'handler' ? { validatorCompiler: () => () => true } : {}),
    onRequest: async (req) => {
      req.token = await authorize(app, route, req);
    },
    handler: async (req, reply) => {
      const ifMatch = req.headers['if-match'];
      const q = req.url.indexOf('?');
      const ctx: RouteCtx = {
        params: req.params as Record<string, string>,
        query: new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1)),
        token: req.token,
        ifMatch: typeof ifMatch === 'string' ? ifMatch : undefined,
        body: req.body,
        eventStream: () => {
          reply.hijack();
          openEventStream(reply.raw);
          return reply.raw;
        },
      };
      const out = await route.handler(ctx);
      if ('stream' in out) {
        logRequest(app, req, reply.raw.statusCode);
        return;
      }
      if (out.headers) void reply.headers(out.headers);
      if (out.etag !== undefined) void reply.header('etag', etagOf(out.etag));
      void reply.code(out.status);
      return out.status === 204 || out.body === undefined ? reply.send() : reply.send(out.body);
    },
  });
}

/**
 * 405 for a path the table has but not with this method (Fastify alone would say 404): one
 * hidden route per path for the methods it lacks, before authentication like the old router.
 */
function addMethodNotAllowed(server: FastifyInstance, routes: readonly Route[]): void {
  const byPath = new Map<string, Route[]>();
  for (const r of routes) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r]);
  for (const same of byPath.values()) {
    const allowed = same.map((r) => r.method as string);
    const missing = METHODS.filter((m) => !allowed.includes(m) && !(m === 'HEAD' && allowed.includes('GET')));
    server.route({
      method: [...missing],
      url: fastifyPath(same[0]!),
      schema: { hide: true } as never,
      exposeHeadRoute: false,
      handler: (req) => {
        throw new VergeError(
          'NOT_FOUND',
          `${req.method} is not allowed on ${pathOf(req.url)} (allowed: ${allowed.join(', ')})`,
          { details: { status: 405 } },
        );
      },
    });
  }
}

/** A path with a malformed %-escape (Fastify's FST_ERR_BAD_URL), naming the route's parameter when one fits. */
function badEscape(path: string, routes: readonly Route[]): VergeError {
  const segments = path.slice(API_PREFIX.length).split('/');
  const i = segments.findIndex((s) => {
    try {
      decodeURIComponent(s);
      return false;
    } catch {
      return true;
    }
  });
  const raw = (segments[i] ?? path).slice(0, 64);
  const template = routes
    .map((r) => r.path.split('/'))
    .find((t) => t.length === segments.length && t.every((s, k) => s.startsWith('{') || s === segments[k]));
  const name = template?.[i]?.replace(/[{}]/g, '');
  return validationError(
    [{ path: `$.${name ?? 'path'}`, message: 'is not valid percent-encoded UTF-8' }],
    `the path ${name ? `parameter ${name} ` : ''}has a malformed %-escape: "${raw}"`,
  );
}

export interface ApiServer {
  /** The Fastify instance (`inject()` answers without a socket). */
  fastify: FastifyInstance;
  /** The OpenAPI document @fastify/swagger wrote from the route schemas. */
  document(): unknown;
}

export async function createApiServer(
  app: App,
  table: RouteTable,
  opts: { consoleDir?: string } = {},
): Promise<ApiServer> {
  const server = Fastify({
    logger: false,
    // Node's own defaults (Fastify's keep idle connections 72 s and never time a request out).
    keepAliveTimeout: 5_000,
    requestTimeout: 300_000,
    // close() ends every connection, open event streams included, so a restart can take the port.
    forceCloseConnections: true,
    // A request arriving while it closes is answered as before (Fastify's own 503 body is not the API's).
    return503OnClosing: false,
    bodyLimit: MAX_BODY_BYTES,
    // A KeyValueStore key or a function name can be long; Fastify's default stops at 100.
    routerOptions: { maxParamLength: 16_384 },
    frameworkErrors: (e, req, reply) => {
      const url = req.raw.url ?? '/';
      // A malformed %-escape outside the API is no file: the console answers it like any unknown path.
      if (!URL.canParse(url, 'http://control.invalid'))
        return sendError(app, new VergeError('VALIDATION_FAILED', 'the request target is not a URL path'), req, reply);
      const path = pathOf(url);
      if (!isApi(path) && opts.consoleDir && (req.method === 'GET' || req.method === 'HEAD'))
        return void serveConsole(opts.consoleDir, path, reply, API_PREFIX).catch((err: unknown) => sendError(app, err, req, reply)); // prettier-ignore
      return sendError(app, e.code === 'FST_ERR_BAD_URL' ? badEscape(path, table.routes) : e, req, reply);
    },
  });
  server.decorateRequest('token', undefined);
  server.decorateRequest('startedAt', 0);
  await server.register(swagger, swaggerOptions());

  // Bodies are JSON whatever the content type says (the CLI and curl users send none); an empty one is no body.
  server.removeAllContentTypeParsers();
  server.addContentTypeParser('*', { parseAs: 'buffer' }, (req, buf: Buffer, done) => {
    if (buf.length === 0 || !req.routeOptions.schema?.body) return done(null, undefined);
    try {
      done(null, JSON.parse(buf.toString('utf8')));
    } catch (e) {
      done(notJson(e as Error), undefined);
    }
  });
  // Every problem at once, by JSON path, in Verge's words; an absent body is checked as {}.
  server.setValidatorCompiler(({ schema, httpPart }) => {
    if (httpPart !== 'body') return () => true;
    return (data: unknown) => {
      const value = data ?? {};
      const problems = checkSchema(schema, value);
      return problems.length > 0 ? { error: validationError(problems) } : { value };
    };
  });
  // Answers are JSON.stringify'd as handlers give them: the answer schemas describe, they do not filter.
  server.setSerializerCompiler(() => (data) => JSON.stringify(data));

  server.addHook('onRequest', async (req) => {
    req.startedAt = app.clock.monotonic();
  });
  server.addHook('onResponse', async (req, reply) => logRequest(app, req, reply.statusCode));
  server.setErrorHandler((e, req, reply) => sendError(app, e, req, reply));
  server.setNotFoundHandler(async (req, reply) => {
    const path = pathOf(req.url);
    if (isApi(path))
      throw new VergeError('NOT_FOUND', `no route ${req.method} ${path} (GET ${API_PREFIX}/openapi.json lists them)`);
    if (opts.consoleDir && (req.method === 'GET' || req.method === 'HEAD'))
      return serveConsole(opts.consoleDir, path, reply, API_PREFIX);
    throw new VergeError('NOT_FOUND', `nothing at ${path}: the API is under ${API_PREFIX}`);
  });

  for (const route of table.routes) addRoute(app, server, route);
  addMethodNotAllowed(server, table.routes);
  await server.ready();
  return { fastify: server, document: () => server.swagger() };
}

/**
 * @module control/api/router
 * The route table's types and its matcher. Every route is declared once (method, path template,
 * who may call it, body schema, summary) and both the dispatcher and the OpenAPI document read
 * that one declaration, so they cannot drift apart.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { VergeError } from '../../shared/errors.js';
import type { TokenRecord } from '../store/types.js';
import type { Static, TSchema } from 'typebox';

/** A JSON Schema (a TypeBox schema, or a plain one for an answer's shape). */
export type Schema = TSchema | Record<string, unknown>;

/** public: no token; admin: admin tokens; edge: admin or edge tokens (handlers check the PoP). */
export type Access = 'public' | 'admin' | 'edge';
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteCtx<B = unknown> {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The caller's token; undefined only on public routes. */
  token: TokenRecord | undefined;
  ifMatch: string | undefined;
  /** The JSON body, validated against the route's schema (so typed by it) when it has one. */
  body: B;
}

/** What a handler answers; `stream` means it wrote the response itself (SSE, binary). */
export type Reply =
  { status: number; body?: unknown; etag?: number; headers?: Record<string, string> } | { stream: true };

export interface QueryParam {
  name: string;
  description: string;
  type?: 'string' | 'integer';
}

export interface Route<B = unknown> {
  method: Method;
  /** Under /api/v1, with `{name}` parameters. */
  path: string;
  access: Access;
  summary: string;
  /** Validated before the handler runs (unless `bodyCheckedBy: 'handler'`); also the OpenAPI requestBody. */
  body?: TSchema;
  /**
   * 'handler': the body is shown with `body` but checked by the domain (a distribution config:
   * the same schema plus the rules and the store's checks, in one answer); the handler gets it unchecked.
   */
  bodyCheckedBy?: 'handler';
  query?: QueryParam[];
  /**
   * 200 unless said otherwise; `text/event-stream`, `application/zip` for streaming routes.
   * `schema` describes the answer in the OpenAPI document (tests check real answers against it).
   */
  success?: { status: number; contentType?: string; description?: string; schema?: Schema };
  handler(ctx: RouteCtx<B>): Promise<Reply> | Reply;
}

/** A route whose handler reads its body as the `Static<>` of its schema (no casts). */
export function route<S extends TSchema>(r: Route<Static<S>> & { body: S }): Route {
  return r as Route;
}

interface Compiled {
  route: Route;
  regex: RegExp;
  names: string[];
}

export class Router {
  readonly routes: Route[] = [];
  #compiled: Compiled[] = [];

  add(...routes: Route[]): void {
    for (const route of routes) {
      const names: string[] = [];
      const source = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, n: string) => {
        names.push(n);
        return '([^/]+)';
      });
      this.routes.push(route);
      this.#compiled.push({ route, regex: new RegExp(`^${source}$`), names });
    }
  }

  /** The route for a method and path (under /api/v1), or why there is none. */
  match(method: string, path: string): { route: Route; params: Record<string, string> } | { allowed: string[] } {
    const allowed: string[] = [];
    for (const c of this.#compiled) {
      const m = c.regex.exec(path);
      if (!m) continue;
      if (c.route.method !== method && !(method === 'HEAD' && c.route.method === 'GET')) {
        allowed.push(c.route.method);
        continue;
      }
      const params: Record<string, string> = {};
      c.names.forEach((n, i) => (params[n] = decodeParam(n, m[i + 1]!)));
      return { route: c.route, params };
    }
    return { allowed };
  }
}

/** A %-decoded path parameter; a malformed escape (`%E0%A4%A`) is the caller's mistake: 400. */
function decodeParam(name: string, raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new VergeError(
      'VALIDATION_FAILED',
      `the path parameter ${name} has a malformed %-escape: "${raw.slice(0, 64)}"`,
      {
        details: { fields: [{ path: `$.${name}`, message: 'is not valid percent-encoded UTF-8' }] },
      },
    );
  }
}

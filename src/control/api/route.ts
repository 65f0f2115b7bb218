/**
 * @module control/api/route
 * How a route of the control API is declared: method, path template, who may call it, body
 * schema, query parameters, answer schema, summary and handler, once. The Fastify server
 * (server.ts) registers each declaration as a Fastify route, and @fastify/swagger builds the
 * OpenAPI document from the same schemas, so the two cannot drift apart. Handlers see a small
 * context (params, query, token, If-Match, the validated body) and answer a Reply, not Fastify's
 * request and reply: the domain stays independent of the HTTP framework.
 */
import type { ServerResponse } from 'node:http';
import type { TokenRecord } from '../store/types.js';
import type { Static, TSchema } from 'typebox';

/** A JSON Schema (a TypeBox schema, or a plain one for an answer's shape). */
export type Schema = TSchema | Record<string, unknown>;

/** public: no token; admin: admin tokens; edge: admin or edge tokens (handlers check the PoP). */
export type Access = 'public' | 'admin' | 'edge';
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteCtx<B = unknown> {
  params: Record<string, string>;
  query: URLSearchParams;
  /** The caller's token; undefined only on public routes. */
  token: TokenRecord | undefined;
  ifMatch: string | undefined;
  /** The JSON body, validated against the route's schema (so typed by it) when it has one. */
  body: B;
  /**
   * Take the response over as a server-sent event stream (HTML Living Standard 9.2): the headers
   * are sent now and the handler then answers `{ stream: true }`. Throw before calling it to
   * answer an error instead.
   */
  eventStream(): ServerResponse;
}

/**
 * What a handler answers: a JSON body (or a Buffer, sent as it is with the content-type the
 * headers give), or `stream` when it took the response over with `eventStream()`.
 */
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
  /** The largest body taken, in bytes (default MAX_BODY_BYTES); a larger one is a 413. */
  bodyLimit?: number;
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

/** The route table: every route of the API once, what the server registers and the document shows. */
export interface RouteTable {
  readonly routes: readonly Route[];
}

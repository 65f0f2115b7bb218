/**
 * @module control/api/openapi
 * What @fastify/swagger needs to write the OpenAPI 3.1 document: the document's head (info,
 * bearer security, the shared components) and, per route of the table, the Fastify route schema
 * it reads (summary, tags, operationId, query parameters, the body's and the answer's TypeBox
 * schemas). @fastify/swagger does the rest; the schemas reach the document as they are, which
 * test/scenarios/control-openapi.test.ts and `npm run check:openapi` hold it to.
 */
import type { SwaggerOptions } from '@fastify/swagger';
import type { FastifySchema } from 'fastify';
import { ErrorSchema } from '../../shared/api/answers.js';
import { DistributionSchema } from '../../shared/config/schema.js';
import { REPLICATION_SCHEMAS } from '../../shared/replication/schemas.js';
import type { Route } from './route.js';

export const API_PREFIX = '/api/v1';
const API_VERSION = '1.0.0';

/** `/functions/{name}` → `/api/v1/functions/:name` (Fastify's path syntax). */
export function fastifyPath(r: Route): string {
  return API_PREFIX + r.path.replace(/\{(\w+)\}/g, ':$1');
}

const operationId = (r: Route) =>
  `${r.method.toLowerCase()}${r.path.replace(/\{(\w+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`; // prettier-ignore

/** The Fastify route schema of a route: what the server validates with and the document shows. */
export function routeSchema(r: Route): FastifySchema & Record<string, unknown> {
  const status = r.success?.status ?? 200;
  const contentType = r.success?.contentType ?? 'application/json';
  const ok =
    status === 204
      ? { type: 'null', description: 'done' }
      : {
          description: r.success?.description ?? 'success',
          content: { [contentType]: r.success?.schema ? { schema: r.success.schema } : {} },
        };
  const query = r.query ?? [];
  return {
    operationId: operationId(r),
    summary: r.summary,
    tags: [r.path.split('/')[1]!],
    ...(r.access === 'public' ? { security: [] } : {}),
    ...(query.length > 0
      ? {
          querystring: {
            type: 'object',
            properties: Object.fromEntries(
              query.map((q) => [q.name, { type: q.type ?? 'string', description: q.description }]),
            ),
          },
        }
      : {}),
    ...(r.body ? { body: r.body } : {}),
    response: {
      [status]: ok,
      default: {
        description: 'an error',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    },
  };
}

/** The document's shared components: the error body, the distribution config, the replication messages. */
export const OPENAPI_COMPONENTS = {
  Error: ErrorSchema,
  DistributionConfig: DistributionSchema,
  ...REPLICATION_SCHEMAS,
};

export function swaggerOptions(): SwaggerOptions {
  return {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Verge control plane',
        version: API_VERSION,
        description:
          'Functions, distributions, triggers, invalidations, key-value stores, PoPs, deployments, logs and metrics. See docs/api.md.',
      },
      servers: [{ url: '/' }],
      security: [{ bearer: [] }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'an admin or edge token (vrg_...)' },
        },
        // From the same TypeBox schemas the routes validate with.
        schemas: OPENAPI_COMPONENTS as never,
      },
    },
    // const stays const (OpenAPI 3.1 is JSON Schema 2020-12): the document shows the schemas as they are.
    convertConstToEnum: false,
  };
}

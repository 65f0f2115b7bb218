/**
 * @module control/api/openapi
 * The OpenAPI 3.1 document, generated from the route table the server dispatches on, so every
 * route is described and nothing described is missing; its request and answer schemas are the
 * TypeBox schemas of src/shared (api/, config/, replication/) the routes validate and type with.
 */
import { ErrorSchema } from '../../shared/api/answers.js';
import { DistributionSchema } from '../../shared/config/schema.js';
import { REPLICATION_SCHEMAS } from '../../shared/replication/schemas.js';
import type { Route } from './router.js';

function operation(r: Route) {
  const params = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const query = (r.query ?? []).map((q) => ({
    name: q.name,
    in: 'query',
    required: false,
    description: q.description,
    schema: { type: q.type ?? 'string' },
  }));
  const status = r.success?.status ?? 200;
  const contentType = r.success?.contentType ?? 'application/json';
  const ok =
    status === 204
      ? { description: 'done' }
      : {
          description: r.success?.description ?? 'success',
          content: { [contentType]: r.success?.schema ? { schema: r.success.schema } : {} },
        };
  const op: Record<string, unknown> = {
    operationId: `${r.method.toLowerCase()}${r.path.replace(/\{(\w+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    summary: r.summary,
    tags: [r.path.split('/')[1]],
    parameters: [...params, ...query],
    responses: {
      [status]: ok,
      default: {
        description: 'an error',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    },
  };
  if (r.access === 'public') op.security = [];
  if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: r.body } } };
  return op;
}

export function openApiDocument(routes: readonly Route[], version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) (paths[`/api/v1${r.path}`] ??= {})[r.method.toLowerCase()] = operation(r);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Verge control plane',
      version,
      description:
        'Functions, distributions, triggers, invalidations, key-value stores, PoPs, deployments, logs and metrics. See docs/api.md.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an admin or edge token (vrg_...)' } },
      // The replication messages, from the same TypeBox schemas the routes validate with.
      schemas: { Error: ErrorSchema, DistributionConfig: DistributionSchema, ...REPLICATION_SCHEMAS },
    },
    paths,
  };
}

/**
 * @module control/api/routes/invalidations
 * `/invalidations`: create (sent at once to every watching edge), read with per-PoP status.
 */
import { randomUUID } from 'node:crypto';
import { VergeError } from '../../../shared/errors.js';
import type { App } from '../../app.js';
import { getDistribution } from '../../domain/distributions.js';
import { checkInvalidation, invalidationView } from '../../domain/invalidations.js';
import type { InvalidationRecord } from '../../store/types.js';
import type { Route } from '../router.js';

export function invalidationRoutes(app: App): Route[] {
  const { store, clock } = app;
  const view = (i: InvalidationRecord) => invalidationView(i, store.invalidations.acks(i.id), store.pops.list());
  return [
    {
      method: 'POST',
      path: '/invalidations',
      access: 'admin',
      summary: 'Invalidate paths and tags on every PoP',
      body: {
        type: 'object',
        properties: {
          distributionId: { type: 'string', minLength: 1 },
          paths: { type: 'array', items: { type: 'string' } },
          tags: { type: 'array', items: { type: 'string' } },
        },
        required: ['distributionId'],
        additionalProperties: false,
      },
      success: { status: 201 },
      handler: ({ body }) => {
        const b = body as { distributionId: string; paths?: string[]; tags?: string[] };
        const paths = b.paths ?? [];
        const tags = b.tags ?? [];
        checkInvalidation(paths, tags);
        getDistribution(store, b.distributionId);
        const rec = store.invalidations.insert({
          id: `inv_${randomUUID().replace(/-/g, '').slice(0, 16)}`,
          distributionId: b.distributionId,
          paths,
          tags,
          createdAt: clock.now(),
        });
        app.hub.invalidation({ id: rec.id, distributionId: rec.distributionId, paths, tags });
        app.logger.log('info', 'invalidation created', {
          id: rec.id,
          distributionId: rec.distributionId,
          paths: paths.length,
          tags: tags.length,
        });
        return { status: 201, body: view(rec) };
      },
    },
    {
      method: 'GET',
      path: '/invalidations',
      access: 'admin',
      summary: 'List invalidations, newest first',
      query: [{ name: 'distributionId', description: 'only this distribution' }],
      handler: ({ query }) => ({
        status: 200,
        body: { items: store.invalidations.list(query.get('distributionId') ?? undefined).map(view) },
      }),
    },
    {
      method: 'GET',
      path: '/invalidations/{id}',
      access: 'admin',
      summary: 'Get an invalidation with its status per PoP',
      handler: ({ params }) => {
        const i = store.invalidations.get(params.id!);
        if (!i) throw new VergeError('NOT_FOUND', `invalidation ${params.id} does not exist`);
        return { status: 200, body: view(i) };
      },
    },
  ];
}

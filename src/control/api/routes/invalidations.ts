/**
 * @module control/api/routes/invalidations
 * `/invalidations`: create (sent at once to every watching edge), read with per-PoP status.
 */
import { randomUUID } from 'node:crypto';
import { VergeError } from '../../../shared/errors.js';
import { InvalidationCreateSchema } from '../../../shared/api/bodies.js';
import { InvalidationSchema, itemsOf } from '../../../shared/api/answers.js';
import type { App } from '../../app.js';
import { getDistribution } from '../../domain/distributions.js';
import { checkInvalidation, invalidationView } from '../../domain/invalidations.js';
import type { InvalidationRecord } from '../../store/types.js';
import { route, type Route } from '../route.js';

export function invalidationRoutes(app: App): Route[] {
  const { store, clock } = app;
  const view = async (i: InvalidationRecord) =>
    invalidationView(i, await store.invalidations.acks(i.id), await store.pops.list());
  return [
    route({
      method: 'POST',
      path: '/invalidations',
      access: 'admin',
      summary: 'Invalidate paths and tags on every PoP',
      body: InvalidationCreateSchema,
      success: { status: 201, schema: InvalidationSchema },
      handler: async ({ body }) => {
        const b = body;
        const paths = b.paths ?? [];
        const tags = b.tags ?? [];
        checkInvalidation(paths, tags);
        await getDistribution(store, b.distributionId);
        const ev = { id: `inv_${randomUUID().replace(/-/g, '').slice(0, 16)}`, distributionId: b.distributionId, paths, tags }; // prettier-ignore
        // The outbox row commits with the invalidation: other replicas and NATS hear of it from there.
        const rec = await store.tx(async () => {
          const r = await store.invalidations.insert({ ...ev, createdAt: clock.now() });
          await store.outbox.add({ kind: 'invalidation', ...ev }, r.createdAt);
          return r;
        });
        app.hub.invalidation(ev);
        app.logger.log('info', 'invalidation created', {
          id: rec.id,
          distributionId: rec.distributionId,
          paths: paths.length,
          tags: tags.length,
        });
        return { status: 201, body: await view(rec) };
      },
    }),
    {
      method: 'GET',
      path: '/invalidations',
      access: 'admin',
      summary: 'List invalidations, newest first',
      query: [{ name: 'distributionId', description: 'only this distribution' }],
      success: { status: 200, schema: itemsOf(InvalidationSchema) },
      handler: async ({ query }) => {
        const pops = await store.pops.list();
        const items = [];
        for (const i of await store.invalidations.list(query.get('distributionId') ?? undefined))
          items.push(invalidationView(i, await store.invalidations.acks(i.id), pops));
        return { status: 200, body: { items } };
      },
    },
    {
      method: 'GET',
      path: '/invalidations/{id}',
      access: 'admin',
      summary: 'Get an invalidation with its status per PoP',
      success: { status: 200, schema: InvalidationSchema },
      handler: async ({ params }) => {
        const i = await store.invalidations.get(params.id!);
        if (!i) throw new VergeError('NOT_FOUND', `invalidation ${params.id} does not exist`);
        return { status: 200, body: await view(i) };
      },
    },
  ];
}

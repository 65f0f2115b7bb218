/**
 * @module control/api/routes/system
 * `/healthz` (public: load balancers and `verge up` poll it) and `/pops` (registered edges with
 * their applied snapshot and health; removing one that is gone for good).
 */
import { HealthSchema, PopSchema, itemsOf } from '../../../shared/api/answers.js';
import type { App } from '../../app.js';
import { popView, removePop } from '../../domain/pops.js';
import type { Route } from '../route.js';

export function systemRoutes(app: App): Route[] {
  const { store, clock, hub } = app;
  return [
    {
      method: 'GET',
      path: '/healthz',
      access: 'public',
      summary: 'Liveness and the latest snapshot version',
      success: { status: 200, schema: HealthSchema },
      handler: async () => ({ status: 200, body: { status: 'ok', snapshot: await store.snapshots.latestVersion() } }),
    },
    {
      method: 'GET',
      path: '/pops',
      access: 'admin',
      summary: 'Registered PoPs: region, applied snapshot, last seen, health',
      success: { status: 200, schema: itemsOf(PopSchema) },
      handler: async () => {
        const connected = hub.connectedPops();
        const now = clock.now();
        return {
          status: 200,
          body: { items: (await store.pops.list()).map((p) => popView(p, now, connected.has(p.id))) },
        };
      },
    },
    {
      method: 'DELETE',
      path: '/pops/{id}',
      access: 'admin',
      summary: 'Remove a PoP that is gone for good: revokes its edge tokens; distributions stop waiting for it',
      success: { status: 204 },
      handler: async ({ params }) => {
        const { pop, revokedTokens } = await removePop(store, params.id!, clock.now());
        // An edge still connected loses its stream now; its token no longer lets it back.
        const streams = hub.dropWatchers(pop.id);
        app.logger.log('warn', 'pop removed', { pop: pop.id, region: pop.region, revokedTokens, streams });
        return { status: 204 };
      },
    },
  ];
}

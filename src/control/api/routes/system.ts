/**
 * @module control/api/routes/system
 * `/healthz` (public: load balancers and `verge up` poll it) and `/pops` (registered edges with
 * their applied snapshot and health).
 */
import type { App } from '../../app.js';
import { popView } from '../../domain/pops.js';
import type { Route } from '../router.js';

export function systemRoutes(app: App): Route[] {
  const { store, clock, hub } = app;
  return [
    {
      method: 'GET',
      path: '/healthz',
      access: 'public',
      summary: 'Liveness and the latest snapshot version',
      handler: () => ({ status: 200, body: { status: 'ok', snapshot: store.snapshots.latestVersion() } }),
    },
    {
      method: 'GET',
      path: '/pops',
      access: 'admin',
      summary: 'Registered PoPs: region, applied snapshot, last seen, health',
      handler: () => {
        const connected = hub.connectedPops();
        const now = clock.now();
        return { status: 200, body: { items: store.pops.list().map((p) => popView(p, now, connected.has(p.id))) } };
      },
    },
  ];
}

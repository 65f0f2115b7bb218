/**
 * @module control/api/routes/deployments
 * `/deployments`: the snapshot history with each PoP's acknowledgement, and rollback (a new
 * snapshot whose content equals an earlier one's).
 */
import { VergeError } from '../../../shared/errors.js';
import { RollbackSchema } from '../../../shared/api/bodies.js';
import { DeploymentRollbackSchema, DeploymentSchema, itemsOf } from '../../../shared/api/answers.js';
import type { App } from '../../app.js';
import { restoreSnapshot } from '../../domain/rollback.js';
import type { SnapshotRecord, Store } from '../../store/types.js';
import { route, type Route } from '../route.js';

async function deploymentView(store: Store, s: SnapshotRecord) {
  const acks = Object.fromEntries(
    (await store.snapshots.acks(s.version)).map((a) => [
      a.pop,
      { ok: a.ok, at: new Date(a.at).toISOString(), error: a.error },
    ]),
  );
  const pops = await store.pops.list();
  const pending = pops.filter((p) => p.appliedVersion < s.version).map((p) => p.id);
  return {
    version: s.version,
    createdAt: new Date(s.createdAt).toISOString(),
    reason: s.reason,
    checksum: s.checksum,
    acks,
    pending,
  };
}

export function deploymentRoutes(app: App): Route[] {
  const { store, clock } = app;
  return [
    {
      method: 'GET',
      path: '/deployments',
      access: 'admin',
      summary: 'The snapshot history, newest first, with acknowledgements per PoP',
      query: [{ name: 'limit', description: 'at most this many (default 100)', type: 'integer' }],
      success: { status: 200, schema: itemsOf(DeploymentSchema) },
      handler: async ({ query }) => {
        const limit = Math.min(Math.max(Number(query.get('limit') ?? 100) || 100, 1), 10_000);
        const items = [];
        for (const s of await store.snapshots.list(limit)) items.push(await deploymentView(store, s));
        return { status: 200, body: { items } };
      },
    },
    {
      method: 'GET',
      path: '/deployments/{version}',
      access: 'admin',
      summary: 'One snapshot with its acknowledgements',
      success: { status: 200, schema: DeploymentSchema },
      handler: async ({ params }) => {
        const s = /^\d+$/.test(params.version!) ? await store.snapshots.get(Number(params.version)) : undefined;
        if (!s) throw new VergeError('NOT_FOUND', `snapshot ${params.version} does not exist`);
        return { status: 200, body: await deploymentView(store, s) };
      },
    },
    route({
      method: 'POST',
      path: '/deployments/rollback',
      access: 'admin',
      summary: 'Roll back: a new snapshot whose content equals an earlier one',
      body: RollbackSchema,
      success: { status: 201, schema: DeploymentRollbackSchema },
      handler: async ({ body }) => {
        const { version } = body;
        const { snapshot } = await app.change(
          `rollback to snapshot ${version}`,
          async () => await restoreSnapshot(store, app.box, version, clock.now()),
        );
        const latest = (await store.snapshots.get(snapshot ?? (await store.snapshots.latestVersion())))!;
        return { status: 201, body: { ...(await deploymentView(store, latest)), rolledBackTo: version } };
      },
    }),
  ];
}

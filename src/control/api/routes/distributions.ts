/**
 * @module control/api/routes/distributions
 * `/distributions`: the edge's config schema (docs/configuration.md) without function
 * associations; every change produces a snapshot, and the answer carries the status.
 */
import { DistributionRollbackSchema } from '../../../shared/api/bodies.js';
import {
  DistributionAnswerSchema,
  DistributionGenerationSchema,
  DistributionRollbackAnswerSchema,
  itemsOf,
} from '../../../shared/api/answers.js';
import type { App } from '../../app.js';
import { restoreDistribution } from '../../domain/rollback.js';
import { checkConfig, checkTriggersFit, distributionView, getDistribution } from '../../domain/distributions.js';
import type { DistributionRecord } from '../../store/types.js';
import { VergeError } from '../../../shared/errors.js';
import { checkIfMatch } from '../http.js';
import { route, type Route } from '../route.js';
import { isObj } from '../../../shared/config/rules-policies.js';
import { DistributionSchema } from '../../../shared/config/schema.js';

export function distributionRoutes(app: App): Route[] {
  const { store, clock } = app;
  const view = async (d: DistributionRecord) =>
    distributionView(
      (await store.distributions.get(d.id)) ?? d,
      await store.pops.list(),
      clock.now(),
      await store.snapshots.distributionAcks(d.id),
    );
  return [
    route({
      method: 'POST',
      path: '/distributions',
      access: 'admin',
      summary: 'Create a distribution',
      // checkConfig validates it with the same schema plus the rules and the store's checks, in one answer.
      body: DistributionSchema,
      bodyCheckedBy: 'handler',
      success: { status: 201, schema: DistributionAnswerSchema },
      handler: async ({ body }) => {
        const config = await checkConfig(store, body);
        const now = clock.now();
        const d: DistributionRecord = {
          id: config.id,
          config,
          revision: 1,
          changedIn: 0,
          createdAt: now,
          updatedAt: now,
        };
        await app.change(`distribution ${d.id} created`, async () => {
          if (await store.distributions.get(d.id))
            throw new VergeError('ALREADY_EXISTS', `distribution ${d.id} already exists`);
          await store.distributions.insert(d);
        });
        return { status: 201, body: await view(d), etag: d.revision };
      },
    }),
    {
      method: 'GET',
      path: '/distributions',
      access: 'admin',
      summary: 'List distributions with their status',
      success: { status: 200, schema: itemsOf(DistributionAnswerSchema) },
      handler: async () => {
        const pops = await store.pops.list();
        const now = clock.now();
        const acks = await store.snapshots.distributionAcks();
        const items = (await store.distributions.list()).map((d) => distributionView(d, pops, now, acks));
        return { status: 200, body: { items } };
      },
    },
    {
      method: 'GET',
      path: '/distributions/{id}',
      access: 'admin',
      summary: 'Get a distribution with its status and the PoPs still pending',
      success: { status: 200, schema: DistributionAnswerSchema },
      handler: async ({ params }) => {
        const d = await getDistribution(store, params.id!);
        return { status: 200, body: await view(d), etag: d.revision };
      },
    },
    route({
      method: 'PUT',
      path: '/distributions/{id}',
      access: 'admin',
      summary: 'Replace a distribution config',
      // checkConfig validates it with the same schema plus the rules and the store's checks, in one answer.
      body: DistributionSchema,
      bodyCheckedBy: 'handler',
      success: { status: 200, schema: DistributionAnswerSchema },
      handler: async ({ params, body, ifMatch }) => {
        const prev = await getDistribution(store, params.id!);
        checkIfMatch(ifMatch, prev.revision, `distribution ${prev.id}`);
        // Staging routing and the staging flag are set by `verge staging`: a PUT without them keeps them.
        const input = body;
        if (isObj(input)) {
          if (prev.config.continuousDeployment && input.continuousDeployment === undefined)
            input.continuousDeployment = prev.config.continuousDeployment;
          if (prev.config.staging && input.staging === undefined) input.staging = true;
        }
        const config = await checkConfig(store, body, prev.id);
        await checkTriggersFit(store, config);
        const next: DistributionRecord = { ...prev, config, revision: prev.revision + 1, updatedAt: clock.now() };
        await app.change(`distribution ${prev.id} updated`, async () => await store.distributions.update(next));
        return { status: 200, body: await view(next), etag: next.revision };
      },
    }),
    {
      method: 'DELETE',
      path: '/distributions/{id}',
      access: 'admin',
      summary: 'Delete a distribution and its triggers',
      success: { status: 204 },
      handler: async ({ params, ifMatch }) => {
        const d = await getDistribution(store, params.id!);
        checkIfMatch(ifMatch, d.revision, `distribution ${d.id}`);
        const routedBy = (await store.distributions.list()).find(
          (x) => x.config.continuousDeployment?.stagingDistributionId === d.id,
        );
        if (d.config.continuousDeployment || routedBy)
          throw new VergeError(
            'VALIDATION_FAILED',
            `distribution ${d.id} ${routedBy ? `is the staging distribution of ${routedBy.id}` : 'routes viewers to a staging distribution'}: discard the staging first (verge staging discard ${routedBy?.id ?? d.id})`,
            { details: { status: 409 } },
          );
        await app.change(`distribution ${d.id} deleted`, async () => {
          for (const t of await store.triggers.list({ distributionId: d.id })) await store.triggers.delete(t.id);
          await store.distributions.delete(d.id);
        });
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      path: '/distributions/{id}/history',
      access: 'admin',
      summary: 'The generations of one distribution (the snapshots that changed it), newest first',
      query: [{ name: 'limit', description: 'look at most this many snapshots back (default 1000)', type: 'integer' }],
      success: { status: 200, schema: itemsOf(DistributionGenerationSchema) },
      handler: async ({ params, query }) => {
        const d = await getDistribution(store, params.id!);
        const limit = Math.min(Math.max(Number(query.get('limit') ?? 1000) || 1000, 1), 10_000);
        const items = [];
        for (const rec of await store.snapshots.list(limit)) {
          const doc = JSON.parse(rec.document) as { generations?: Record<string, number> };
          const changed = doc.generations ? doc.generations[d.id] === rec.version : rec.version === d.changedIn;
          if (!changed) continue;
          items.push({
            generation: rec.version,
            createdAt: new Date(rec.createdAt).toISOString(),
            reason: rec.reason,
            current: rec.version === d.changedIn,
          });
        }
        return { status: 200, body: { items } };
      },
    },
    route({
      method: 'POST',
      path: '/distributions/{id}/rollback',
      access: 'admin',
      summary:
        'Roll one distribution back to what snapshot `to` served (config and triggers); a new generation for it alone',
      body: DistributionRollbackSchema,
      success: { status: 201, schema: DistributionRollbackAnswerSchema },
      handler: async ({ params, body }) => {
        const d = await getDistribution(store, params.id!);
        const { to } = body;
        const { snapshot } = await app.change(
          `distribution ${d.id} rolled back to snapshot ${to}`,
          async () => await restoreDistribution(store, app.box, d.id, to, clock.now()),
        );
        const now = (await store.distributions.get(d.id))!;
        return { status: 201, body: { ...(await view(now)), rolledBackTo: to, newSnapshot: snapshot ?? null } };
      },
    }),
  ];
}

/**
 * @module control/api/routes/triggers
 * `/triggers`: attach a published version to a distribution's cache behavior and event type
 * (replacing the one there), or put it there as a canary next to the version already there
 * (`canary`: a share of viewers, optional steps and auto-rollback; domain/canary-triggers.ts);
 * list; promote or roll back a canary by hand; detach. Each change produces a snapshot.
 */
import { randomUUID } from 'node:crypto';
import type { Static } from 'typebox';
import { VergeError } from '../../../shared/errors.js';
import { TriggerCreateSchema } from '../../../shared/api/bodies.js';
import { TriggerSchema, itemsOf } from '../../../shared/api/answers.js';
import type { App } from '../../app.js';
import { checkTrigger, triggerView } from '../../domain/triggers.js';
import { applyCanary, activeCanary, canaryBase, startCanary } from '../../domain/canary-triggers.js';
import type { CanaryInput } from '../../domain/canary.js';
import { bundleOf } from '../../domain/bundles.js';
import type { TriggerRecord } from '../../store/types.js';
import { checkIfMatch } from '../http.js';
import { route, type Route } from '../route.js';

export function triggerRoutes(app: App): Route[] {
  const { store, clock } = app;
  return [
    route({
      method: 'POST',
      path: '/triggers',
      access: 'admin',
      summary: 'Attach name:version to a cache behavior and event type (replaces the trigger there)',
      body: TriggerCreateSchema,
      success: { status: 201, schema: TriggerSchema },
      handler: async ({ body }) => {
        const b = body;
        // A version that does not load for this event (syntax, init, the event's size limit) is never attached.
        const checked = await checkTrigger(store, b);
        const canary = b.canary && canaryInput(b.canary);
        const named = { name: checked.name, version: checked.version };
        if (canary) await canaryBase(store, b, canary, named);
        const zip = await bundleOf(store, checked.sha256, `${checked.name}:${checked.version}`);
        await app.gate.check(
          {
            name: checked.name,
            version: String(checked.version),
            sha256: checked.sha256,
            zip,
            settings: checked.settings,
          },
          'attach',
          [b.eventType],
        );
        if (canary) {
          const { result: t } = await app.change(
            (r: TriggerRecord) =>
              `canary ${r.canary!.functionName}:${r.canary!.functionVersion} started on ${r.distributionId} ${r.behavior} ${r.eventType} for ${r.canary!.percent}% of viewers (the rest run ${r.functionName}:${r.functionVersion})`,
            async () => {
              await checkTrigger(store, b);
              const prev = await canaryBase(store, b, canary, named);
              return await startCanary(store, prev, named, canary, b.includeBody, clock.now());
            },
          );
          return { status: 201, body: triggerView(t), etag: t.revision };
        }
        const { result: t } = await app.change(
          (r: TriggerRecord) =>
            `function ${r.functionName}:${r.functionVersion} attached to ${r.distributionId} ${r.behavior} ${r.eventType}`,
          async () => {
            const v = await checkTrigger(store, b);
            const rec: TriggerRecord = {
              id: `trg_${randomUUID().replace(/-/g, '').slice(0, 16)}`,
              distributionId: b.distributionId,
              behavior: b.behavior,
              eventType: b.eventType,
              functionName: v.name,
              functionVersion: v.version,
              includeBody: b.includeBody ?? false,
              revision: 1,
              createdAt: clock.now(),
              canary: null,
            };
            await store.triggers.replace(rec);
            return rec;
          },
        );
        return { status: 201, body: triggerView(t), etag: t.revision };
      },
    }),
    {
      method: 'GET',
      path: '/triggers',
      access: 'admin',
      summary: 'List triggers',
      query: [
        { name: 'distributionId', description: 'only this distribution' },
        { name: 'function', description: 'only this function name' },
      ],
      success: { status: 200, schema: itemsOf(TriggerSchema) },
      handler: async ({ query }) => {
        const filter = {
          ...(query.get('distributionId') ? { distributionId: query.get('distributionId')! } : {}),
          ...(query.get('function') ? { functionName: query.get('function')! } : {}),
        };
        return { status: 200, body: { items: (await store.triggers.list(filter)).map(triggerView) } };
      },
    },
    {
      method: 'GET',
      path: '/triggers/{id}',
      access: 'admin',
      summary: 'Get a trigger',
      success: { status: 200, schema: TriggerSchema },
      handler: async ({ params }) => {
        const t = await store.triggers.get(params.id!);
        if (!t) throw new VergeError('NOT_FOUND', `trigger ${params.id} does not exist`);
        return { status: 200, body: triggerView(t), etag: t.revision };
      },
    },
    {
      method: 'POST',
      path: '/triggers/{id}/canary/promote',
      access: 'admin',
      summary: "Promote the trigger's canary now: its version runs for every viewer",
      success: { status: 200, schema: TriggerSchema },
      handler: async ({ params }) => {
        await activeCanary(store, params.id!);
        const t = await applyCanary(app, params.id!, { kind: 'promote' });
        return { status: 200, body: triggerView(t), etag: t.revision };
      },
    },
    {
      method: 'POST',
      path: '/triggers/{id}/canary/rollback',
      access: 'admin',
      summary: "Roll the trigger's canary back now: the previous version runs for every viewer",
      success: { status: 200, schema: TriggerSchema },
      handler: async ({ params }) => {
        await activeCanary(store, params.id!);
        const t = await applyCanary(app, params.id!, { kind: 'rollback', reason: 'rolled back by hand' });
        return { status: 200, body: triggerView(t), etag: t.revision };
      },
    },
    {
      method: 'DELETE',
      path: '/triggers/{id}',
      access: 'admin',
      summary: 'Detach a trigger',
      success: { status: 204 },
      handler: async ({ params, ifMatch }) => {
        const t = await store.triggers.get(params.id!);
        if (!t) throw new VergeError('NOT_FOUND', `trigger ${params.id} does not exist`);
        checkIfMatch(ifMatch, t.revision, `trigger ${t.id}`);
        await app.change(
          `function ${t.functionName}:${t.functionVersion} detached from ${t.distributionId} ${t.behavior} ${t.eventType}`,
          async () => await store.triggers.delete(t.id),
        );
        return { status: 204 };
      },
    },
  ];
}

/** The body's `canary`, as its schema says. */
type CanaryRequest = NonNullable<Static<typeof TriggerCreateSchema>['canary']>;

function canaryInput(c: CanaryRequest): CanaryInput {
  const out: CanaryInput = { percent: c.percent };
  if (c.steps !== undefined) out.steps = c.steps;
  if (c.stepIntervalSeconds !== undefined) out.stepIntervalMs = c.stepIntervalSeconds * 1000;
  if (c.autoRollback !== undefined) out.autoRollback = c.autoRollback;
  return out;
}

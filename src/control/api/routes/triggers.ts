/**
 * @module control/api/routes/triggers
 * `/triggers`: attach a published version to a distribution's cache behavior and event type
 * (replacing the one there), list, and detach. Each change produces a snapshot.
 */
import { randomUUID } from 'node:crypto';
import { VergeError } from '../../../shared/errors.js';
import { EVENT_TYPES } from '../../../shared/lambda-edge/index.js';
import type { App } from '../../app.js';
import { checkTrigger, triggerView, type TriggerInput } from '../../domain/triggers.js';
import type { TriggerRecord } from '../../store/types.js';
import { checkIfMatch } from '../http.js';
import type { Route } from '../router.js';

export function triggerRoutes(app: App): Route[] {
  const { store, clock } = app;
  return [
    {
      method: 'POST',
      path: '/triggers',
      access: 'admin',
      summary: 'Attach name:version to a cache behavior and event type (replaces the trigger there)',
      body: {
        type: 'object',
        properties: {
          distributionId: { type: 'string', minLength: 1 },
          behavior: { type: 'string', minLength: 1, description: 'a cache behavior pathPattern, or "default"' },
          eventType: { type: 'string', enum: EVENT_TYPES },
          function: { type: 'string', minLength: 3, description: 'name:version (a published version)' },
          includeBody: { type: 'boolean' },
        },
        required: ['distributionId', 'behavior', 'eventType', 'function'],
        additionalProperties: false,
      },
      success: { status: 201 },
      handler: async ({ body }) => {
        const b = body as TriggerInput;
        // A version that does not load for this event (syntax, init, the event's size limit) is never attached.
        const checked = checkTrigger(store, b);
        const zip = store.blobs.get(checked.sha256)!.data;
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
        const t = app.change(
          (r: TriggerRecord) =>
            `function ${r.functionName}:${r.functionVersion} attached to ${r.distributionId} ${r.behavior} ${r.eventType}`,
          () => {
            const v = checkTrigger(store, b);
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
            };
            store.triggers.replace(rec);
            return rec;
          },
        ).result;
        return { status: 201, body: triggerView(t), etag: t.revision };
      },
    },
    {
      method: 'GET',
      path: '/triggers',
      access: 'admin',
      summary: 'List triggers',
      query: [
        { name: 'distributionId', description: 'only this distribution' },
        { name: 'function', description: 'only this function name' },
      ],
      handler: ({ query }) => {
        const filter = {
          ...(query.get('distributionId') ? { distributionId: query.get('distributionId')! } : {}),
          ...(query.get('function') ? { functionName: query.get('function')! } : {}),
        };
        return { status: 200, body: { items: store.triggers.list(filter).map(triggerView) } };
      },
    },
    {
      method: 'GET',
      path: '/triggers/{id}',
      access: 'admin',
      summary: 'Get a trigger',
      handler: ({ params }) => {
        const t = store.triggers.get(params.id!);
        if (!t) throw new VergeError('NOT_FOUND', `trigger ${params.id} does not exist`);
        return { status: 200, body: triggerView(t), etag: t.revision };
      },
    },
    {
      method: 'DELETE',
      path: '/triggers/{id}',
      access: 'admin',
      summary: 'Detach a trigger',
      success: { status: 204 },
      handler: ({ params, ifMatch }) => {
        const t = store.triggers.get(params.id!);
        if (!t) throw new VergeError('NOT_FOUND', `trigger ${params.id} does not exist`);
        checkIfMatch(ifMatch, t.revision, `trigger ${t.id}`);
        app.change(
          `function ${t.functionName}:${t.functionVersion} detached from ${t.distributionId} ${t.behavior} ${t.eventType}`,
          () => store.triggers.delete(t.id),
        );
        return { status: 204 };
      },
    },
  ];
}

/**
 * @module control/api/routes/tokens
 * `/tokens`: create admin tokens and edge tokens bound to one PoP (the token is shown once, only
 * its hash is kept), list them, and revoke them (a revoked token gets 401 from then on).
 */
import { VergeError } from '../../../shared/errors.js';
import { TokenCreateSchema } from '../../../shared/api/bodies.js';
import { CreatedTokenSchema, TokenSchema, itemsOf } from '../../../shared/api/answers.js';
import type { App } from '../../app.js';
import { createToken } from '../../auth/tokens.js';
import type { TokenRecord } from '../../store/types.js';
import { route, type Route } from '../route.js';
import { validationError } from '../../domain/validation.js';

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

function tokenView(t: TokenRecord) {
  return { id: t.id, name: t.name, kind: t.kind, pop: t.pop, createdAt: iso(t.createdAt), revokedAt: iso(t.revokedAt) };
}

export function tokenRoutes(app: App): Route[] {
  const { store, clock } = app;
  return [
    route({
      method: 'POST',
      path: '/tokens',
      access: 'admin',
      summary: 'Create a token (shown once in the answer)',
      body: TokenCreateSchema,
      success: { status: 201, schema: CreatedTokenSchema },
      handler: async ({ body }) => {
        const b = body;
        if (b.kind === 'edge' && b.pop === undefined)
          throw validationError([{ path: '$.pop', message: 'an edge token needs the PoP it belongs to' }]);
        if (b.kind === 'admin' && b.pop !== undefined)
          throw validationError([{ path: '$.pop', message: 'only edge tokens are bound to a PoP' }]);
        const { record, token } = await createToken(store, clock, { name: b.name, kind: b.kind, pop: b.pop ?? null });
        app.logger.log('info', 'token created', { id: record.id, kind: record.kind, pop: record.pop });
        return { status: 201, body: { ...tokenView(record), token } };
      },
    }),
    {
      method: 'GET',
      path: '/tokens',
      access: 'admin',
      summary: 'List tokens (never the tokens themselves)',
      success: { status: 200, schema: itemsOf(TokenSchema) },
      handler: async () => ({ status: 200, body: { items: (await store.tokens.list()).map(tokenView) } }),
    },
    {
      method: 'DELETE',
      path: '/tokens/{id}',
      access: 'admin',
      summary: 'Revoke a token',
      success: { status: 204 },
      handler: async ({ params }) => {
        const t = await store.tokens.get(params.id!);
        if (!t) throw new VergeError('NOT_FOUND', `token ${params.id} does not exist (GET /api/v1/tokens lists them)`);
        await store.tokens.revoke(t.id, clock.now());
        app.logger.log('info', 'token revoked', { id: t.id });
        return { status: 204 };
      },
    },
  ];
}

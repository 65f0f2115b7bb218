/**
 * @module cli/cmd-tokens
 * `verge tokens create|list|revoke`: API tokens. Admin tokens can do everything; edge tokens
 * are bound to one PoP and can only sync it (docs/api.md, Authentication). A new token is shown
 * once.
 */
import { UsageError } from './args.js';
import { CONNECTION_HELP, connect, dispatch, onePositional, parseCommand } from './cmd-common.js';
import { emit, table, time } from './output.js';

export const TOKENS_HELP = `verge tokens <verb> [options]

  create --name N [--kind admin|edge] [--pop P]   (edge tokens need --pop; the token is shown once)
  list
  revoke ID                                       requests with it get 401 from now on

${CONNECTION_HELP}
`;

async function create(argv: string[]): Promise<void> {
  const p = parseCommand(
    argv,
    { name: { type: 'string' }, kind: { type: 'string' }, pop: { type: 'string' } },
    TOKENS_HELP,
  );
  if (!p) return;
  const { name, pop } = p.values;
  const kind = p.values.kind ?? 'admin';
  if (!name) throw new UsageError('--name is required');
  if (kind !== 'admin' && kind !== 'edge') throw new UsageError('--kind must be admin or edge');
  if (kind === 'edge' && !pop) throw new UsageError('an edge token is bound to one PoP: give --pop ID');
  const ctx = await connect(p.values);
  const t = await ctx.client.tokens.create({ name, kind, ...(pop ? { pop } : {}) });
  emit(
    ctx.format,
    t,
    () =>
      `created ${t.kind} token ${t.id} (${t.name}${t.pop ? `, PoP ${t.pop}` : ''}). It is shown once; store it now:\n${t.token}`,
  );
}

async function list(argv: string[]): Promise<void> {
  const p = parseCommand(argv, {}, TOKENS_HELP);
  if (!p) return;
  const ctx = await connect(p.values);
  const items = await ctx.client.tokens.list();
  emit(ctx.format, items, () =>
    table(
      ['ID', 'NAME', 'KIND', 'POP', 'CREATED', 'REVOKED'],
      items.map((t) => [t.id, t.name, t.kind, t.pop, time(t.createdAt), time(t.revokedAt)]),
    ),
  );
}

async function revoke(argv: string[]): Promise<void> {
  const p = parseCommand(argv, {}, TOKENS_HELP);
  if (!p) return;
  const id = onePositional(p.positionals, 'token ID');
  const ctx = await connect(p.values);
  await ctx.client.tokens.revoke(id);
  emit(ctx.format, { revoked: id }, () => `revoked token ${id}`);
}

export async function tokensCommand(argv: string[]): Promise<void> {
  return dispatch(argv, TOKENS_HELP, { create, list, revoke });
}

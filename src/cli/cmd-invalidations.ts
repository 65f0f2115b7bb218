/**
 * @module cli/cmd-invalidations
 * `verge invalidations create|get|list`: removing cached objects by path (CloudFront's syntax:
 * a trailing `*` only, spec 7.6) and by tag, with per-PoP status; `--wait` polls until every
 * PoP has completed it.
 */
import type { Invalidation } from '../client/index.js';
import { VergeError } from '../shared/errors.js';
import { print } from '../shared/log.js';
import { UsageError } from './args.js';
import { CONNECTION_HELP, connect, dispatch, onePositional, optionalInt, parseCommand } from './cmd-common.js';
import { emit, fields, table, time } from './output.js';

export const INVALIDATIONS_HELP = `verge invalidations <verb> [options]

  create --distribution ID [--paths P]... [--tags T]... [--wait] [--timeout S]
                        paths like '/img/*' or '/index.html', tags like product-42;
                        several values may also be comma-separated
  get ID
  list [--distribution ID]

${CONNECTION_HELP}
`;

function list_(values: string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

function render(i: Invalidation): string {
  const head = fields([
    ['id', i.id],
    ['distribution', i.distributionId],
    ['paths', i.paths.join(' ')],
    ['tags', i.tags.join(' ')],
    ['status', i.status],
    ['created', time(i.createdAt)],
  ]);
  const pops = Object.entries(i.pops ?? {});
  return pops.length
    ? head +
        '\n\n' +
        table(
          ['POP', 'STATUS', 'REMOVED'],
          pops.map(([p, s]) => [p, s.status, s.removed]),
        )
    : head;
}

async function create(argv: string[]): Promise<void> {
  const p = parseCommand(
    argv,
    {
      distribution: { type: 'string' },
      paths: { type: 'string', multiple: true },
      tags: { type: 'string', multiple: true },
      wait: { type: 'boolean' },
      timeout: { type: 'string' },
    },
    INVALIDATIONS_HELP,
  );
  if (!p) return;
  const v = p.values;
  const paths = list_(v.paths);
  const tags = list_(v.tags);
  if (!v.distribution) throw new UsageError('--distribution ID is required');
  if (!paths.length && !tags.length) throw new UsageError('give --paths or --tags (or both)');
  const ctx = await connect(v);
  let inv = await ctx.client.invalidations.create({
    distributionId: v.distribution,
    ...(paths.length ? { paths } : {}),
    ...(tags.length ? { tags } : {}),
  });
  if (v.wait) {
    const deadline = Date.now() + (optionalInt(v.timeout, '--timeout') ?? 60) * 1000;
    while (inv.status !== 'Completed') {
      if (Date.now() > deadline)
        throw new VergeError(
          'WAIT_TIMEOUT',
          `invalidation ${inv.id} is still InProgress after ${v.timeout ?? 60} s; \`verge invalidations get ${inv.id}\` shows which PoPs have not completed it (is one down? \`verge pops list\`)`,
        );
      await new Promise((r) => setTimeout(r, 100));
      inv = await ctx.client.invalidations.get(inv.id);
    }
  }
  emit(ctx.format, inv, () => (v.wait ? render(inv) : `created invalidation ${inv.id} (${inv.status})`));
}

async function get(argv: string[]): Promise<void> {
  const p = parseCommand(argv, {}, INVALIDATIONS_HELP);
  if (!p) return;
  const ctx = await connect(p.values);
  const inv = await ctx.client.invalidations.get(onePositional(p.positionals, 'invalidation ID'));
  emit(ctx.format, inv, () => render(inv));
}

async function list(argv: string[]): Promise<void> {
  const p = parseCommand(argv, { distribution: { type: 'string' } }, INVALIDATIONS_HELP);
  if (!p) return;
  const ctx = await connect(p.values);
  const items = await ctx.client.invalidations.list(p.values.distribution);
  if (ctx.format === 'json') return print(JSON.stringify(items, null, 2));
  print(
    items.length
      ? table(
          ['ID', 'DISTRIBUTION', 'STATUS', 'PATHS', 'TAGS', 'CREATED'],
          items.map((i) => [i.id, i.distributionId, i.status, i.paths.join(' '), i.tags.join(' '), time(i.createdAt)]),
        )
      : 'no invalidations',
  );
}

export async function invalidationsCommand(argv: string[]): Promise<void> {
  return dispatch(argv, INVALIDATIONS_HELP, { create, get, list });
}

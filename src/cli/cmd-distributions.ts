/**
 * @module cli/cmd-distributions
 * `verge distributions create|update|get|list|delete`: distribution configs (the edge's schema,
 * docs/configuration.md) over the REST API. Configs are validated locally first with the same
 * validator the control plane and the edge use, so mistakes are listed by JSON path at once.
 */
import { readFile } from 'node:fs/promises';
import type { Distribution, DistributionConfig } from '../client/index.js';
import { validateDistribution } from '../shared/config/index.js';
import { VergeError } from '../shared/errors.js';
import { UsageError } from './args.js';
import { CONNECTION_HELP, connect, dispatch, onePositional, parseCommand } from './cmd-common.js';
import { ago, emit, fields, table, time } from './output.js';

export const DISTRIBUTIONS_HELP = `verge distributions <verb> [options]

  create -f dist.json                 create a distribution from a config file
  update ID -f dist.json [--if-match ETAG]
                                      replace its config (with the ETag from \`get\`, a concurrent change gets 412)
  get ID
  list
  delete ID [--if-match ETAG]

Function associations are not part of the config here: attach functions with \`verge triggers add\`.

${CONNECTION_HELP}
`;

/** Read and check a config file; problems are listed by JSON path. */
export async function readConfig(path: string): Promise<DistributionConfig> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new VergeError('CONFIG_UNREADABLE', `${path}: ${(e as Error).message}`);
  }
  return checkConfig(doc, path);
}

export function checkConfig(doc: unknown, where: string): DistributionConfig {
  // Key groups live on the control plane, which checks the ids behaviors trust; here they pass.
  const r = validateDistribution(doc, { knownKeyGroups: trustedKeyGroupIds(doc) });
  if (!r.ok) {
    const lines = r.problems.map((p) => `  ${p.path}: ${p.message}`).join('\n');
    throw new VergeError(
      'CONFIG_INVALID',
      `${where} is not a valid distribution config:\n${lines}\nFix each listed field and run the command again.`,
    );
  }
  return doc as DistributionConfig;
}

function trustedKeyGroupIds(doc: unknown): string[] {
  const c = doc as { defaultCacheBehavior?: unknown; cacheBehaviors?: unknown } | null;
  if (typeof c !== 'object' || c === null) return [];
  const behaviors = [c.defaultCacheBehavior, ...(Array.isArray(c.cacheBehaviors) ? c.cacheBehaviors : [])];
  return behaviors.flatMap((b) => {
    const ids = (b as { trustedKeyGroups?: unknown } | null)?.trustedKeyGroups;
    return Array.isArray(ids) ? ids.filter((x): x is string => typeof x === 'string') : [];
  });
}

export function statusText(d: Distribution): string {
  return d.status === 'Deployed' ? 'Deployed' : `InProgress (waiting for ${d.pending.join(', ') || 'PoPs'})`;
}

function render(d: Distribution): string {
  const behaviors = [d.config.defaultCacheBehavior, ...(d.config.cacheBehaviors ?? [])];
  return fields([
    ['id', d.id],
    ['status', statusText(d)],
    // The server's words: since when a pending PoP is silent, and how to remove one that is gone.
    ...(d.status === 'Deployed' ? [] : ([['detail', d.statusText]] as [string, string][])),
    ['generation', String(d.generation)],
    // Each PoP on its own: a refusal holds back only this distribution.
    ...Object.entries(d.pops ?? {}).map(
      ([pop, st]) =>
        [
          `  ${pop}`,
          `${st.status}${st.generation === null ? '' : ` (serving generation ${st.generation})`}${st.error ? `: ${st.error}` : ''}`,
        ] as [string, string],
    ),
    ['aliases', (d.config.aliases ?? []).join(', ')],
    ['origins', d.config.origins.map((o) => o.id).join(', ')],
    ['behaviors', behaviors.map((b) => ('pathPattern' in b ? String(b.pathPattern) : 'default')).join(', ')],
    ['modified', time(d.lastModified)],
    ['etag', d.etag],
  ]);
}

async function create(argv: string[]): Promise<void> {
  const p = parseCommand(argv, { file: { type: 'string', short: 'f' } }, DISTRIBUTIONS_HELP);
  if (!p) return;
  if (!p.values.file) throw new UsageError('-f FILE is required (a distribution config)');
  const config = await readConfig(p.values.file);
  const ctx = await connect(p.values);
  const d = await ctx.client.distributions.create(config);
  emit(ctx.format, d, () => `created distribution ${d.id}: ${statusText(d)}`);
}

async function update(argv: string[]): Promise<void> {
  const p = parseCommand(
    argv,
    { file: { type: 'string', short: 'f' }, 'if-match': { type: 'string' } },
    DISTRIBUTIONS_HELP,
  );
  if (!p) return;
  const id = onePositional(p.positionals, 'distribution ID');
  if (!p.values.file) throw new UsageError('-f FILE is required (a distribution config)');
  const config = await readConfig(p.values.file);
  if (config.id !== id) throw new UsageError(`the file's id is "${config.id}", not "${id}"`);
  const ctx = await connect(p.values);
  const d = await ctx.client.distributions.update(
    id,
    config,
    p.values['if-match'] ? { ifMatch: p.values['if-match'] } : {},
  );
  emit(ctx.format, d, () => `updated distribution ${d.id}: ${statusText(d)}`);
}

async function get(argv: string[]): Promise<void> {
  const p = parseCommand(argv, {}, DISTRIBUTIONS_HELP);
  if (!p) return;
  const ctx = await connect(p.values);
  const d = await ctx.client.distributions.get(onePositional(p.positionals, 'distribution ID'));
  emit(ctx.format, d, () => render(d));
}

async function list(argv: string[]): Promise<void> {
  const p = parseCommand(argv, {}, DISTRIBUTIONS_HELP);
  if (!p) return;
  const ctx = await connect(p.values);
  const items = await ctx.client.distributions.list();
  emit(ctx.format, items, () =>
    items.length === 0
      ? 'no distributions yet (create one with `verge distributions create -f dist.json`)'
      : table(
          ['ID', 'STATUS', 'ALIASES', 'MODIFIED'],
          items.map((d) => [d.id, statusText(d), (d.config.aliases ?? []).join(','), ago(d.lastModified)]),
        ),
  );
}

async function remove(argv: string[]): Promise<void> {
  const p = parseCommand(argv, { 'if-match': { type: 'string' } }, DISTRIBUTIONS_HELP);
  if (!p) return;
  const id = onePositional(p.positionals, 'distribution ID');
  const ctx = await connect(p.values);
  await ctx.client.distributions.delete(id, p.values['if-match'] ? { ifMatch: p.values['if-match'] } : {});
  emit(ctx.format, { deleted: id }, () => `deleted distribution ${id}`);
}

export async function distributionsCommand(argv: string[]): Promise<void> {
  return dispatch(argv, DISTRIBUTIONS_HELP, { create, update, get, list, delete: remove });
}

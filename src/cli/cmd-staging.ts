/**
 * @module cli/cmd-staging
 * `verge staging create|route|status|promote|discard PRIMARY`: CloudFront continuous deployment
 * (docs/api.md, `/distributions/{id}/staging`). A staging copy gets its own id, domain name and
 * cache; triggers and config changes target it by id (`PRIMARY-staging`); viewers reach it by a
 * header or a weight; `status` shows primary and staging side by side.
 */
import type { StagingMetrics, StagingView } from '../client/index.js';
import { UsageError } from './args.js';
import { CONNECTION_HELP, connect, dispatch, onePositional, optionalInt, parseCommand } from './cmd-common.js';
import { emit, table } from './output.js';

export const STAGING_HELP = `verge staging <verb> PRIMARY

  create PRIMARY                      copy PRIMARY (config and triggers) into PRIMARY-staging: its
                                      own id, domain name and cache, no aliases. Attach functions
                                      and change its config by that id (verge triggers add
                                      --distribution PRIMARY-staging ...)
  route PRIMARY --header NAME=VALUE   viewers sending this header go to staging (the name must
                                      start with aws-cf-cd-, as on CloudFront)
  route PRIMARY --weight PCT [--sticky SECONDS]
                                      this share of viewers (1-15%) go to staging, each viewer
                                      kept on one side: by its address, and with --sticky (300-3600,
                                      CloudFront's idle TTL) by a session cookie (aws-cf-cd-session)
                                      renewed on every answer
  status PRIMARY                      both side by side: each PoP's state, the routing, requests,
                                      4xx/5xx answers (count and rate) and origin latency p50/p99
                                      over 15 minutes
  promote PRIMARY                     copy the staging config and triggers onto PRIMARY (one new
                                      generation for it)
  discard PRIMARY                     delete the staging distribution and the routing to it

${CONNECTION_HELP}
`;

function metricsRow(name: string, m: StagingMetrics): string[] {
  const ms = (v: number | null) => (v === null ? '-' : `${v.toFixed(1)} ms`);
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  return [
    name,
    String(m.requests),
    `${m.errors['4xx']} (${pct(m.rate4xx)})`,
    `${m.errors['5xx']} (${pct(m.rate5xx)})`,
    ms(m.originLatencyP50),
    ms(m.originLatencyP99),
  ];
}

export function renderStaging(v: StagingView): string {
  const r = v.routing;
  const routing = !r
    ? 'none yet (verge staging route)'
    : r.header
      ? `header ${r.header.name}: ${r.header.value}`
      : `weight ${r.weight?.percent ?? 0}% of viewers${r.weight?.stickySeconds ? `, sticky sessions (cookie aws-cf-cd-session, ${r.weight.stickySeconds} s idle)` : ''}`;
  const states = (d: StagingView['primary']) =>
    Object.entries(d.pops)
      .map(([p, s]) => `${p} ${s.status}${s.error ? ` (${s.error})` : ''}`)
      .join(', ') || 'no PoPs';
  return [
    `primary  ${v.primary.id}  generation ${v.primary.generation}  ${v.primary.status}: ${states(v.primary)}`,
    `staging  ${v.staging.id}  generation ${v.staging.generation}  ${v.staging.status}: ${states(v.staging)}`,
    `routing  ${routing}`,
    '',
    table(
      ['', 'REQUESTS', '4XX', '5XX', 'ORIGIN P50', 'ORIGIN P99'],
      [metricsRow('primary', v.metrics.primary), metricsRow('staging', v.metrics.staging)],
    ),
  ].join('\n');
}

function simple(action: 'create' | 'status' | 'promote'): (argv: string[]) => Promise<void> {
  return async (argv) => {
    const p = parseCommand(argv, {}, STAGING_HELP);
    if (!p) return;
    const id = onePositional(p.positionals, 'PRIMARY distribution id');
    const ctx = await connect(p.values);
    const s = ctx.client.distributions.staging;
    const v = action === 'create' ? await s.create(id) : action === 'promote' ? await s.promote(id) : await s.get(id);
    const head =
      action === 'create'
        ? `created ${v.staging.id} from ${id}; route viewers to it with \`verge staging route ${id} --header aws-cf-cd-staging=1\`\n`
        : action === 'promote'
          ? `promoted ${v.staging.id} onto ${id} (generation ${v.primary.generation}); \`verge deploy --wait --distribution ${id}\` follows it\n`
          : '';
    emit(ctx.format, v, () => head + renderStaging(v));
  };
}

async function route(argv: string[]): Promise<void> {
  const p = parseCommand(
    argv,
    { header: { type: 'string' }, weight: { type: 'string' }, sticky: { type: 'string' } },
    STAGING_HELP,
  );
  if (!p) return;
  const id = onePositional(p.positionals, 'PRIMARY distribution id');
  const { header, weight, sticky } = p.values;
  if ((header === undefined) === (weight === undefined))
    throw new UsageError('give exactly one of --header NAME=VALUE or --weight PCT');
  if (sticky !== undefined && weight === undefined)
    throw new UsageError('--sticky SECONDS goes with --weight PCT (header routing is sticky by the header)');
  let routing;
  if (header !== undefined) {
    const i = header.indexOf('=');
    if (i <= 0) throw new UsageError(`--header takes NAME=VALUE (e.g. aws-cf-cd-staging=1), got "${header}"`);
    routing = { header: { name: header.slice(0, i), value: header.slice(i + 1) } };
  } else {
    const seconds = optionalInt(sticky, '--sticky');
    routing = {
      weight: {
        percent: optionalInt(weight, '--weight')!,
        ...(seconds !== undefined ? { stickySeconds: seconds } : {}),
      },
    };
  }
  const ctx = await connect(p.values);
  const v = await ctx.client.distributions.staging.route(id, routing);
  emit(ctx.format, v, () => renderStaging(v));
}

async function discard(argv: string[]): Promise<void> {
  const p = parseCommand(argv, {}, STAGING_HELP);
  if (!p) return;
  const id = onePositional(p.positionals, 'PRIMARY distribution id');
  const ctx = await connect(p.values);
  await ctx.client.distributions.staging.discard(id);
  emit(ctx.format, { discarded: `${id}-staging` }, () => `discarded the staging distribution of ${id} and its routing`);
}

export function stagingCommand(argv: string[]): Promise<void> {
  return dispatch(argv, STAGING_HELP, {
    create: simple('create'),
    route,
    status: simple('status'),
    promote: simple('promote'),
    discard,
  });
}

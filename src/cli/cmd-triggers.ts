/**
 * @module cli/cmd-triggers
 * `verge triggers add|remove|list|promote|rollback`: function associations (a numbered function
 * version on a distribution's cache behavior and event type, one per event type per behavior, as
 * in Lambda@Edge, spec "function associations") over the REST API, and canary triggers (a new
 * version for a share of viewers next to the one attached, docs/api.md "Canary triggers").
 */
import type { EventType, Trigger, VergeClient } from '../client/index.js';
import { UsageError } from './args.js';
import { CONNECTION_HELP, connect, dispatch, parseCommand } from './cmd-common.js';
import { emit, table } from './output.js';

export const TRIGGERS_HELP = `verge triggers <verb> [options]

  add --distribution ID --behavior PATTERN|default --event TYPE --function NAME:VERSION [--include-body]
                      attach a numbered version (replaces the one on the same behavior and event);
                      NAME alone means its newest version
      [--canary PCT [--steps 10,50,100 --step-interval 5m] [--auto-rollback]]
                      run it for PCT% of viewers (1-99, each viewer kept on one version) next to
                      the version already attached; --steps raises the share every --step-interval
                      (default 5m) until 100 (promoted); --auto-rollback puts the previous version
                      back when the new one's error rate or p99 is worse (docs/api.md)
  promote ID          a running canary's version for every viewer now
  rollback ID         a running canary's previous version for every viewer now
  remove ID
  remove --distribution ID --behavior PATTERN|default --event TYPE
  list [--distribution ID]   with each canary's split and state (stepping, holding, promoted, rolled-back)

Events: viewer-request, origin-request, origin-response, viewer-response.
Example: verge triggers add --distribution demo --behavior '/api/*' --event origin-request --function auth:3
         verge triggers add --distribution demo --behavior default --event viewer-request --function auth:4 \\
           --canary 10 --steps 10,50,100 --step-interval 5m --auto-rollback

${CONNECTION_HELP}
`;

export const EVENTS: EventType[] = ['viewer-request', 'origin-request', 'origin-response', 'viewer-response'];

export function eventType(v: string | undefined): EventType {
  if (!v || !EVENTS.includes(v as EventType)) throw new UsageError(`--event must be one of ${EVENTS.join(', ')}`);
  return v as EventType;
}

/** `auth:3` as is; `auth` becomes its newest published version. */
export async function functionRef(client: VergeClient, ref: string): Promise<string> {
  const m = /^(.+):(\d+)$/.exec(ref);
  if (m) return ref;
  if (ref.includes(':'))
    throw new UsageError(
      `--function takes NAME:VERSION with a numbered version (got "${ref}"); $LATEST cannot be attached`,
    );
  const versions = await client.functions.versions(ref);
  const newest = versions.reduce((a, v) => Math.max(a, v.version), 0);
  if (!newest)
    throw new UsageError(`function ${ref} has no published version; run \`verge functions publish ${ref}\` first`);
  return `${ref}:${newest}`;
}

export function renderTriggers(items: Trigger[]): string {
  if (!items.length) return 'no triggers';
  const rows = table(
    ['ID', 'DISTRIBUTION', 'BEHAVIOR', 'EVENT', 'FUNCTION', 'BODY', 'CANARY'],
    items.map((t) => [
      t.id,
      t.distributionId,
      t.behavior,
      t.eventType,
      t.function,
      t.includeBody ? 'yes' : 'no',
      canaryCell(t),
    ]),
  );
  // The last thing each canary did, in words (why it rolled back, when it steps next).
  const notes = items
    .filter((t) => t.canary)
    .map((t) => `${t.id}: ${t.canary!.events.at(-1)?.message ?? ''}${nextStep(t)}`);
  return notes.length ? `${rows}\n\n${notes.join('\n')}` : rows;
}

/** `auth:1 90% / auth:2 10% stepping`, or the ended canary's version and state. */
function canaryCell(t: Trigger): string {
  const c = t.canary;
  if (!c) return '-';
  if (c.state === 'promoted' || c.state === 'rolled-back') return `${c.function} ${c.state}`;
  return `${c.split.map((s) => `${s.function} ${s.percent}%`).join(' / ')} ${c.state}`;
}

function nextStep(t: Trigger): string {
  const c = t.canary!;
  if (!c.nextStepAt) return '';
  const next = c.steps.find((s) => s > c.percent) ?? 100;
  return ` (next: ${next === 100 ? 'promoted' : `${next}%`} at ${c.nextStepAt})`;
}

/** `5m`, `30s`, `1h`, `90` (seconds) as seconds; a usage error otherwise. */
export function intervalSeconds(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(v.trim());
  if (!m) throw new UsageError(`--step-interval takes a duration like 30s, 5m or 1h (got "${v}")`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 's' | 'm' | 'h'];
}

/** `10,50,100` as numbers; a usage error naming the bad part otherwise. */
export function stepList(v: string): number[] {
  return v.split(',').map((x) => {
    if (!/^\d+$/.test(x.trim())) throw new UsageError(`--steps takes whole percents like 10,50,100 (got "${v}")`);
    return Number(x);
  });
}

const WHERE = { distribution: { type: 'string' }, behavior: { type: 'string' }, event: { type: 'string' } } as const;

async function add(argv: string[]): Promise<void> {
  const p = parseCommand(
    argv,
    {
      ...WHERE,
      function: { type: 'string' },
      'include-body': { type: 'boolean' },
      canary: { type: 'string' },
      steps: { type: 'string' },
      'step-interval': { type: 'string' },
      'auto-rollback': { type: 'boolean' },
    },
    TRIGGERS_HELP,
  );
  if (!p) return;
  const v = p.values;
  if (!v.distribution || !v.behavior || !v.function)
    throw new UsageError('--distribution, --behavior, --event and --function are required');
  if (v.canary === undefined && (v.steps || v['step-interval'] || v['auto-rollback']))
    throw new UsageError('--steps, --step-interval and --auto-rollback go with --canary PCT');
  if (v.canary !== undefined && !/^\d+$/.test(v.canary))
    throw new UsageError(`--canary takes a whole percent from 1 to 99 (got "${v.canary}")`);
  const canary =
    v.canary === undefined
      ? undefined
      : {
          percent: Number(v.canary),
          ...(v.steps ? { steps: stepList(v.steps) } : {}),
          ...(v['step-interval'] ? { stepIntervalSeconds: intervalSeconds(v['step-interval']) } : {}),
          ...(v['auto-rollback'] ? { autoRollback: true } : {}),
        };
  const ctx = await connect(v);
  const fn = await functionRef(ctx.client, v.function);
  const event = eventType(v.event);
  // A behavior runs one function per event (as on CloudFront): say which one this replaces.
  const before = (await ctx.client.triggers.list(v.distribution)).find(
    (x) => x.behavior === v.behavior && x.eventType === event,
  );
  const t = await ctx.client.triggers.create({
    distributionId: v.distribution,
    behavior: v.behavior,
    eventType: event,
    function: fn,
    includeBody: !!v['include-body'],
    ...(canary ? { canary } : {}),
  });
  if (t.canary && canary) {
    const c = t.canary;
    emit(
      ctx.format,
      t,
      () =>
        `canary ${c.function} on ${t.distributionId} ${t.behavior} ${t.eventType} (trigger ${t.id}): ${c.split.map((s) => `${s.function} ${s.percent}%`).join(', ')}, ${c.state}${nextStep(t)}${c.autoRollback ? '; rolled back by itself if worse' : ''}; \`verge triggers list\` follows it`,
    );
    return;
  }
  const replaced = before && before.function !== t.function ? `, replacing ${before.function}` : '';
  emit(
    ctx.format,
    t,
    () =>
      `attached ${t.function} to ${t.distributionId} ${t.behavior} ${t.eventType} (trigger ${t.id})${replaced}; \`verge deploy --wait\` shows it reaching every PoP`,
  );
}

async function remove(argv: string[]): Promise<void> {
  const p = parseCommand(argv, WHERE, TRIGGERS_HELP);
  if (!p) return;
  const v = p.values;
  const ctx = await connect(v);
  let ids: string[];
  if (p.positionals.length === 1) ids = [p.positionals[0]!];
  else if (p.positionals.length === 0 && v.distribution && v.behavior) {
    const ev = eventType(v.event);
    const all = await ctx.client.triggers.list(v.distribution);
    ids = all.filter((t) => t.behavior === v.behavior && t.eventType === ev).map((t) => t.id);
    if (!ids.length)
      throw new UsageError(
        `no trigger on ${v.distribution} ${v.behavior} ${ev}; \`verge triggers list --distribution ${v.distribution}\` shows them`,
      );
  } else throw new UsageError('give a trigger ID, or --distribution, --behavior and --event');
  for (const id of ids) await ctx.client.triggers.delete(id);
  emit(ctx.format, { removed: ids }, () => `removed trigger ${ids.join(', ')}`);
}

async function list(argv: string[]): Promise<void> {
  const p = parseCommand(argv, { distribution: { type: 'string' } }, TRIGGERS_HELP);
  if (!p) return;
  const ctx = await connect(p.values);
  const items = await ctx.client.triggers.list(p.values.distribution);
  emit(ctx.format, items, () => renderTriggers(items));
}

function canaryVerb(kind: 'promote' | 'rollback') {
  return async (argv: string[]): Promise<void> => {
    const p = parseCommand(argv, {}, TRIGGERS_HELP);
    if (!p) return;
    const id = p.positionals[0];
    if (!id || p.positionals.length > 1) throw new UsageError(`give one trigger ID: verge triggers ${kind} ID`);
    const ctx = await connect(p.values);
    const t =
      kind === 'promote' ? await ctx.client.triggers.promoteCanary(id) : await ctx.client.triggers.rollbackCanary(id);
    emit(ctx.format, t, () => t.canary?.events.at(-1)?.message ?? `${kind}d ${id}`);
  };
}

export async function triggersCommand(argv: string[]): Promise<void> {
  return dispatch(argv, TRIGGERS_HELP, {
    add,
    remove,
    list,
    promote: canaryVerb('promote'),
    rollback: canaryVerb('rollback'),
  });
}

/**
 * @module cli/cmd-triggers
 * `verge triggers add|remove|list`: function associations (a numbered function version on a
 * distribution's cache behavior and event type, one per event type per behavior, as in
 * Lambda@Edge, spec "function associations") over the REST API.
 */
import type { EventType, Trigger, VergeClient } from '../client/index.js';
import { UsageError } from './args.js';
import { CONNECTION_HELP, connect, dispatch, parseCommand } from './cmd-common.js';
import { emit, table } from './output.js';

export const TRIGGERS_HELP = `verge triggers <verb> [options]

  add --distribution ID --behavior PATTERN|default --event TYPE --function NAME:VERSION [--include-body]
                      attach a numbered version (replaces the one on the same behavior and event);
                      NAME alone means its newest version
  remove ID
  remove --distribution ID --behavior PATTERN|default --event TYPE
  list [--distribution ID]

Events: viewer-request, origin-request, origin-response, viewer-response.
Example: verge triggers add --distribution demo --behavior '/api/*' --event origin-request --function auth:3

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
  return table(
    ['ID', 'DISTRIBUTION', 'BEHAVIOR', 'EVENT', 'FUNCTION', 'BODY'],
    items.map((t) => [t.id, t.distributionId, t.behavior, t.eventType, t.function, t.includeBody ? 'yes' : 'no']),
  );
}

const WHERE = { distribution: { type: 'string' }, behavior: { type: 'string' }, event: { type: 'string' } } as const;

async function add(argv: string[]): Promise<void> {
  const p = parseCommand(
    argv,
    { ...WHERE, function: { type: 'string' }, 'include-body': { type: 'boolean' } },
    TRIGGERS_HELP,
  );
  if (!p) return;
  const v = p.values;
  if (!v.distribution || !v.behavior || !v.function)
    throw new UsageError('--distribution, --behavior, --event and --function are required');
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
  });
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

export async function triggersCommand(argv: string[]): Promise<void> {
  return dispatch(argv, TRIGGERS_HELP, { add, remove, list });
}

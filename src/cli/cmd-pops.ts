/**
 * @module cli/cmd-pops
 * `verge pops list|remove`: the registered edge locations with their region, applied snapshot,
 * last contact and health; and forgetting one that is gone for good, which a distribution
 * otherwise waits for forever (Deployed means every registered PoP has the change).
 */
import type { Pop } from '../client/index.js';
import { UsageError } from './args.js';
import { CONNECTION_HELP, connect, dispatch, onePositional, parseCommand } from './cmd-common.js';
import { ago, emit, table } from './output.js';

export const POPS_HELP = `verge pops <verb>

  list                  registered PoPs: id, region, location, the snapshot each serves, last
                        contact and health (healthy, stale or down)
  remove ID [--force]   forget a PoP that is gone for good: its edge tokens are revoked and
                        distributions stop waiting for it. A PoP that is still healthy is
                        refused without --force (it would keep serving, cut off from updates).

${CONNECTION_HELP}
`;

async function list(argv: string[]): Promise<void> {
  const p = parseCommand(argv, {}, POPS_HELP);
  if (!p) return;
  const ctx = await connect(p.values);
  const [pops, deps] = await Promise.all([ctx.client.pops.list(), ctx.client.deployments.list()]);
  const newest = deps[0]?.version ?? 0;
  emit(ctx.format, pops, () =>
    pops.length === 0
      ? 'no PoPs registered yet (start edges with `verge up` or `verge edge --control URL --token T --pop ID --region R`)'
      : table(
          ['ID', 'REGION', 'LOCATION', 'SNAPSHOT', 'LAST SEEN', 'HEALTH'],
          pops.map((x) => [
            x.id,
            x.region,
            x.location,
            `v${x.appliedVersion}${x.appliedVersion < newest ? ` (behind v${newest})` : ''}`,
            ago(x.lastSeen),
            x.health,
          ]),
        ),
  );
}

/** Refuse to cut off an edge that is evidently alive, unless told to. */
function checkGone(pop: Pop | undefined, id: string, force: boolean): void {
  if (!pop || force || (!pop.connected && pop.health !== 'healthy')) return;
  throw new UsageError(
    `PoP ${id} is ${pop.connected ? 'connected' : pop.health} (last seen ${ago(pop.lastSeen)}): removing it revokes its ` +
      'tokens, and it would keep serving its last snapshot without updates. Stop that edge first, or pass --force',
  );
}

async function remove(argv: string[]): Promise<void> {
  const p = parseCommand(argv, { force: { type: 'boolean' } }, POPS_HELP);
  if (!p) return;
  const id = onePositional(p.positionals, 'PoP ID');
  const ctx = await connect(p.values);
  checkGone(
    (await ctx.client.pops.list()).find((x) => x.id === id),
    id,
    p.values.force === true,
  );
  await ctx.client.pops.remove(id);
  const waiting = (await ctx.client.distributions.list()).filter((d) => d.status !== 'Deployed');
  emit(ctx.format, { removed: id, inProgress: waiting.map((d) => d.id) }, () =>
    [
      `removed PoP ${id}; its edge tokens are revoked`,
      waiting.length === 0
        ? 'every distribution is Deployed'
        : waiting.map((d) => `${d.id}: ${d.statusText}`).join('\n'),
    ].join('\n'),
  );
}

export async function popsCommand(argv: string[]): Promise<void> {
  return dispatch(argv, POPS_HELP, { list, remove });
}

/**
 * @module cli/cmd-pops
 * `verge pops list`: the registered edge locations with their region, applied snapshot, last
 * contact and health.
 */
import { CONNECTION_HELP, connect, dispatch, parseCommand } from './cmd-common.js';
import { ago, emit, table } from './output.js';

export const POPS_HELP = `verge pops list

Registered PoPs: id, region, location, the snapshot each serves, last contact and health
(healthy, stale or down).

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

export async function popsCommand(argv: string[]): Promise<void> {
  return dispatch(argv, POPS_HELP, { list });
}

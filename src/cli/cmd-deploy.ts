/**
 * @module cli/cmd-deploy
 * `verge deploy [--wait]` and `verge rollback --to VERSION`: every change already makes a new
 * snapshot, so `deploy` shows (and with `--wait` follows live) the newest snapshot reaching each
 * PoP, one line per PoP, until it is Deployed everywhere; `rollback` makes a new snapshot equal
 * to an earlier one (docs/api.md, `POST /deployments/rollback`).
 */
import { watchDeployment, type DeploymentProgress, type PopProgress, type VergeClient } from '../client/index.js';
import { VergeError } from '../shared/errors.js';
import { UsageError } from './args.js';
import { CONNECTION_HELP, connect, optionalInt, parseCommand, apiErrors } from './cmd-common.js';
import { json, time, table } from './output.js';

export const DEPLOY_HELP = `verge deploy [--wait] [--distribution ID] [--version N] [--timeout S]

Shows the newest snapshot (or --version N) reaching each PoP. With --wait, follows it live, one
line per PoP, until every PoP has applied it (exit 0), one refused it (exit 1), or --timeout
seconds pass (default 120; exit 1 naming the PoPs still waiting).
With --distribution, follows that distribution's latest change (its generation) instead, PoP by
PoP: a refusal of another distribution in the same snapshot does not hold it back.
The summary gives the time from the change to the last PoP's acknowledgement.

verge deploy history [--distribution ID]
                         the snapshot history (newest first), or one distribution's generations

${CONNECTION_HELP}
`;

export const ROLLBACK_HELP = `verge rollback --to VERSION [--distribution ID] [--wait] [--timeout S]

Makes a new snapshot whose content equals snapshot VERSION (see \`verge deploy history\`) and, with
--wait, follows it to every PoP.
With --distribution ID, rolls back that distribution alone (its config and triggers as snapshot
VERSION served them; \`verge deploy history --distribution ID\` lists its generations): it gets a new
generation and no other distribution changes.

${CONNECTION_HELP}
`;

const MARK: Record<PopProgress['state'], string> = { applied: '✓', waiting: '…', failed: '✗' };

export function progressLines(p: DeploymentProgress): string[] {
  const w = Math.max(...p.pops.map((x) => x.id.length), 3);
  const lines = p.pops.map((x) => {
    const name = `${x.id}${' '.repeat(w - x.id.length)}`;
    if (x.state === 'applied') return `  ${MARK.applied} ${name}  applied v${Math.max(p.version, x.appliedVersion)}`;
    if (x.state === 'failed') return `  ${MARK.failed} ${name}  refused v${p.version}: ${x.error ?? 'unknown error'}`;
    const why = x.health === 'healthy' ? '' : ` (PoP ${x.health})`;
    return `  ${MARK.waiting} ${name}  waiting (serving v${x.appliedVersion})${why}`;
  });
  if (!p.pops.length)
    lines.push('  no PoPs registered yet (start edges with `verge up` or `verge edge --control ...`)');
  return lines;
}

function summary(p: DeploymentProgress): string {
  const applied = p.pops.filter((x) => x.state === 'applied').length;
  const dist = p.distribution ? ` (${p.distribution.id}: ${p.distribution.status})` : '';
  // The control plane's times: from the change to the last PoP's acknowledgement.
  const took =
    p.elapsedMs === undefined
      ? ''
      : ` in ${(p.elapsedMs / 1000).toFixed(1)} s from the change to the last acknowledgement`;
  if (p.done) return `Deployed v${p.version} to ${applied}/${p.pops.length} PoPs${took}${dist}`;
  return `InProgress v${p.version}: ${applied}/${p.pops.length} PoPs applied${dist}`;
}

/**
 * The error for a deployment that did not finish: which PoPs it waits for, and for a PoP that
 * is not healthy, how to remove it if it is gone for good (it would hold every change InProgress).
 */
export function waitTimeout(p: DeploymentProgress, timeoutS: number): VergeError {
  const waiting = p.pops.filter((x) => x.state !== 'applied');
  const names = waiting.map((x) => (x.health === 'healthy' ? x.id : `${x.id} (${x.health})`));
  const silent = waiting.filter((x) => x.health !== 'healthy').map((x) => x.id);
  const gone = silent.length
    ? `. A PoP that is gone for good holds every deployment InProgress until it is removed: ${silent.map((id) => `\`verge pops remove ${id}\``).join(', ')}`
    : '';
  return new VergeError(
    'WAIT_TIMEOUT',
    `v${p.version} not applied after ${timeoutS} s by ${names.join(', ') || 'the distribution'}; check \`verge pops list\`${gone}`,
  );
}

/** Follow a deployment; draws in place on a terminal, prints each change otherwise. */
export async function follow(
  client: VergeClient,
  o: { version?: number; distributionId?: string; timeoutS: number; json: boolean },
): Promise<DeploymentProgress> {
  const signal = AbortSignal.timeout(o.timeoutS * 1000);
  const tty = !o.json && process.stdout.isTTY === true;
  let drawn = 0;
  let last: DeploymentProgress | undefined;
  for await (const p of watchDeployment(client, { ...o, signal })) {
    last = p;
    if (o.json) continue;
    const lines = [`v${p.version}: ${p.reason}`, ...progressLines(p)];
    if (tty && drawn) process.stdout.write(`\x1b[${drawn}A\x1b[0J`);
    process.stdout.write(lines.join('\n') + '\n');
    drawn = lines.length;
  }
  if (!last)
    throw new UsageError('there is no deployment yet: make a change first (create a distribution, attach a function)');
  if (o.json) process.stdout.write(json(last) + '\n');
  else process.stdout.write(summary(last) + '\n');
  if (last.failed) {
    const bad = last.pops.filter((x) => x.state === 'failed').map((x) => `${x.id}: ${x.error}`);
    const what = o.distributionId ? `distribution ${o.distributionId} at v${last.version}` : `v${last.version}`;
    throw new VergeError(
      'REPLICATION_FAILED',
      `${what} was refused by ${bad.join('; ')}. A refused distribution keeps serving its previous generation and holds no other back; fix the cause and change it again, or roll it back (\`verge rollback --distribution ID --to N\`)`,
    );
  }
  if (!last.done) throw waitTimeout(last, o.timeoutS);
  return last;
}

async function distributionHistory(client: VergeClient, id: string, asJson: boolean): Promise<void> {
  const items = await client.distributions.history(id);
  if (asJson) return void process.stdout.write(json(items) + '\n');
  const rows = items.map((g) => [`v${g.generation}${g.current ? ' (current)' : ''}`, time(g.createdAt), g.reason]);
  process.stdout.write(
    (rows.length ? table(['GENERATION', 'CREATED', 'REASON'], rows) : `no generations of ${id} yet`) + '\n',
  );
}

async function history(client: VergeClient, asJson: boolean): Promise<void> {
  const items = await client.deployments.list();
  if (asJson) return void process.stdout.write(json(items) + '\n');
  const rows = items.map((d) => {
    const acks = Object.values(d.acks ?? {});
    return [
      `v${d.version}`,
      time(d.createdAt),
      `${acks.filter((a) => a.ok).length} ok${acks.some((a) => !a.ok) ? `, ${acks.filter((a) => !a.ok).length} refused` : ''}`,
      d.reason,
    ];
  });
  process.stdout.write(
    (rows.length ? table(['VERSION', 'CREATED', 'ACKS', 'REASON'], rows) : 'no deployments yet') + '\n',
  );
}

export async function deployCommand(argv: string[]): Promise<void> {
  const p = parseCommand(
    argv,
    {
      wait: { type: 'boolean' },
      distribution: { type: 'string' },
      version: { type: 'string' },
      timeout: { type: 'string' },
    },
    DEPLOY_HELP,
  );
  if (!p) return;
  const v = p.values;
  const ctx = await connect(v);
  if (p.positionals[0] === 'history')
    return apiErrors(() =>
      v.distribution
        ? distributionHistory(ctx.client, v.distribution, ctx.format === 'json')
        : history(ctx.client, ctx.format === 'json'),
    );
  if (p.positionals.length)
    throw new UsageError(`unknown argument "${p.positionals[0]}"; did you mean \`verge deploy history\`?`);
  const version = optionalInt(v.version, '--version');
  const timeoutS = v.wait ? (optionalInt(v.timeout, '--timeout') ?? 120) : 10;
  await apiErrors(async () => {
    if (v.wait)
      return void (await follow(ctx.client, {
        ...(version !== undefined ? { version } : {}),
        ...(v.distribution ? { distributionId: v.distribution } : {}),
        timeoutS,
        json: ctx.format === 'json',
      }));
    // Without --wait: one look at the current state.
    for await (const prog of watchDeployment(ctx.client, {
      ...(version !== undefined ? { version } : {}),
      ...(v.distribution ? { distributionId: v.distribution } : {}),
    })) {
      process.stdout.write(
        (ctx.format === 'json'
          ? json(prog)
          : [`v${prog.version}: ${prog.reason}`, ...progressLines(prog), summary(prog)].join('\n')) + '\n',
      );
      return;
    }
    process.stdout.write('no deployments yet\n');
  });
}

export async function rollbackCommand(argv: string[]): Promise<void> {
  const p = parseCommand(
    argv,
    {
      to: { type: 'string' },
      wait: { type: 'boolean' },
      timeout: { type: 'string' },
      distribution: { type: 'string' },
    },
    ROLLBACK_HELP,
  );
  if (!p) return;
  const to = optionalInt(p.values.to ?? p.positionals[0], '--to');
  if (to === undefined) throw new UsageError('--to VERSION is required (`verge deploy history` lists them)');
  const ctx = await connect(p.values);
  const id = p.values.distribution;
  if (id !== undefined)
    return apiErrors(async () => {
      const d = await ctx.client.distributions.rollback(id, to);
      const said = d.newSnapshot
        ? `rolled back: distribution ${id} has what snapshot ${to} served, as generation ${d.generation}`
        : `distribution ${id} already has what snapshot ${to} served; nothing changed`;
      if (ctx.format !== 'json') process.stdout.write(said + '\n');
      if (!p.values.wait || !d.newSnapshot) {
        if (ctx.format === 'json') process.stdout.write(json(d) + '\n');
        return;
      }
      await follow(ctx.client, {
        distributionId: id,
        timeoutS: optionalInt(p.values.timeout, '--timeout') ?? 120,
        json: ctx.format === 'json',
      });
    });
  await apiErrors(async () => {
    const dep = await ctx.client.deployments.rollback(to);
    if (!p.values.wait) {
      process.stdout.write(
        (ctx.format === 'json'
          ? json(dep)
          : `rolled back: v${dep.version} has the content of v${to}; \`verge deploy --wait\` follows it`) + '\n',
      );
      return;
    }
    if (ctx.format !== 'json') process.stdout.write(`rolled back: v${dep.version} has the content of v${to}\n`);
    await follow(ctx.client, {
      version: dep.version,
      timeoutS: optionalInt(p.values.timeout, '--timeout') ?? 120,
      json: ctx.format === 'json',
    });
  });
}

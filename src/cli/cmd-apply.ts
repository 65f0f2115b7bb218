/**
 * @module cli/cmd-apply
 * `verge apply -f verge.json [--yes] [--plan]`: configuration as code. Reads functions (from
 * folders or files, relative to verge.json), distributions and triggers, shows the plan like
 * `terraform plan`, asks for confirmation on a terminal (unless --yes), then applies it in a safe
 * order: functions (update, publish) → trigger removals → distributions → trigger attachments.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { ClientError, type FunctionRuntime, type VergeClient } from '../client/index.js';
import { RUNTIME_NAMES, resolveFunction } from '../shared/config/functions.js';
import { VergeError } from '../shared/errors.js';
import { print } from '../shared/log.js';
import { UsageError } from './args.js';
import {
  computePlan,
  planJson,
  renderPlan,
  type Action,
  type ApplyFile,
  type CurrentState,
  type ResolvedFunction,
} from './cmd-apply-plan.js';
import { CONNECTION_HELP, apiErrors, connect, parseCommand } from './cmd-common.js';
import { checkConfig } from './cmd-distributions.js';
import { readPackage, remoteDigest } from './cmd-package.js';
import { EVENTS } from './cmd-triggers.js';

export const APPLY_HELP = `verge apply -f verge.json [--yes] [--plan]

Configuration as code. verge.json:
  { "functions": [{ "name": "auth", "path": "./functions/auth", "runtime": "nodejs", "handler": "index.handler", "env": {} }],
    "distributions": [ <distribution config> ],
    "triggers": [{ "distribution": "demo", "behavior": "/api/*", "event": "origin-request", "function": "auth" }] }
Paths are relative to verge.json. A trigger's "function" is "name" (the version this apply
publishes, else the newest) or "name:3". Functions are published when their code or settings
changed; triggers of the listed distributions that the file does not list are removed.

  --plan     only show the plan
  --yes      apply without asking (it never asks when stdin is not a terminal)

${CONNECTION_HELP}
`;

const notFound = (e: unknown) => e instanceof ClientError && e.status === 404;
async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (notFound(e)) return undefined;
    throw e;
  }
}

export async function readApplyFile(path: string): Promise<{ file: ApplyFile; fns: ResolvedFunction[] }> {
  let file: ApplyFile;
  try {
    file = JSON.parse(await readFile(path, 'utf8')) as ApplyFile;
  } catch (e) {
    throw new VergeError('CONFIG_UNREADABLE', `${path}: ${(e as Error).message}`);
  }
  if (typeof file !== 'object' || file === null || Array.isArray(file))
    throw new VergeError('CONFIG_INVALID', `${path}: expected an object with functions, distributions and triggers`);
  const base = dirname(resolve(path));
  (file.distributions ?? []).forEach((d, i) => checkConfig(d, `${path} $.distributions[${i}]`));
  (file.triggers ?? []).forEach((t, i) => {
    if (!t.distribution || !t.behavior || !t.function || !EVENTS.includes(t.event)) {
      throw new VergeError(
        'CONFIG_INVALID',
        `${path} $.triggers[${i}]: needs distribution, behavior, function and event (one of ${EVENTS.join(', ')})`,
      );
    }
  });
  const fns: ResolvedFunction[] = [];
  for (const [i, spec] of (file.functions ?? []).entries()) {
    if (!spec.name || !spec.path)
      throw new VergeError('CONFIG_INVALID', `${path} $.functions[${i}]: needs name and path`);
    if (spec.runtime !== undefined && !RUNTIME_NAMES.includes(spec.runtime))
      throw new VergeError(
        'CONFIG_INVALID',
        `${path} $.functions[${i}].runtime: must be one of ${RUNTIME_NAMES.join(', ')} (got ${JSON.stringify(spec.runtime)})`,
      );
    const r = resolveFunction({
      path: spec.path,
      ...(spec.runtime ? { runtime: spec.runtime } : {}),
      ...(spec.handler ? { handler: spec.handler } : {}),
    });
    fns.push({
      spec,
      runtime: r.runtime as FunctionRuntime,
      handler: r.handler,
      pkg: await readPackage(resolve(base, spec.path)),
    });
  }
  return { file, fns };
}

export async function currentState(client: VergeClient, file: ApplyFile): Promise<CurrentState> {
  const state: CurrentState = { functions: new Map(), distributions: new Map(), triggers: new Map() };
  for (const spec of file.functions ?? []) {
    const fn = await orUndefined(client.functions.get(spec.name));
    state.functions.set(
      spec.name,
      fn ? { fn, digest: remoteDigest(await client.functions.code(spec.name)) } : undefined,
    );
  }
  for (const d of file.distributions ?? []) {
    const got = await orUndefined(client.distributions.getWithEtag(d.id));
    state.distributions.set(d.id, got ? { config: got.value.config, etag: got.etag ?? got.value.etag } : undefined);
    state.triggers.set(d.id, got ? await client.triggers.list(d.id) : []);
  }
  for (const t of file.triggers ?? []) {
    if (!state.triggers.has(t.distribution))
      state.triggers.set(t.distribution, (await orUndefined(client.triggers.list(t.distribution))) ?? []);
  }
  return state;
}

/** Run the actions in order; returns a line per step done. */
export async function execute(
  client: VergeClient,
  actions: Action[],
  log: (s: string) => void,
): Promise<Record<string, number>> {
  const published: Record<string, number> = {};
  const order = [
    'function-create',
    'function-update',
    'function-publish',
    'trigger-remove',
    'distribution-create',
    'distribution-update',
    'trigger-attach',
  ];
  const sorted = [...actions].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
  for (const a of sorted) {
    if (a.kind === 'function-create') {
      const s = a.spec;
      const opt = {
        memoryMB: s.memoryMB,
        timeoutMs: s.timeoutMs,
        profile: s.profile,
        concurrency: s.concurrency,
        env: s.env,
        egress: s.egress?.allow.length ? s.egress : undefined,
      };
      const clean = Object.fromEntries(Object.entries(opt).filter(([, v]) => v !== undefined));
      await client.functions.create({
        ...clean,
        name: a.name,
        runtime: a.runtime,
        handler: a.handler,
        code: a.pkg.code,
      });
      log(`created function ${a.name}`);
    } else if (a.kind === 'function-update') {
      if (a.code) await client.functions.updateCode(a.name, a.code.code);
      if (Object.keys(a.patch).length) await client.functions.update(a.name, a.patch);
      log(`updated function ${a.name}`);
    } else if (a.kind === 'function-publish') {
      published[a.name] = (await client.functions.publish(a.name, 'verge apply')).version;
      log(`published ${a.name}:${published[a.name]}`);
    } else if (a.kind === 'trigger-remove') {
      await client.triggers.delete(a.id);
      log(`removed trigger ${a.trigger.distributionId} ${a.trigger.behavior} ${a.trigger.eventType}`);
    } else if (a.kind === 'distribution-create') {
      await client.distributions.create(a.config);
      log(`created distribution ${a.id}`);
    } else if (a.kind === 'distribution-update') {
      // If-Match: if someone changed it since the plan was made, stop rather than overwrite.
      await client.distributions.update(a.id, a.config, { ifMatch: a.etag });
      log(`updated distribution ${a.id}`);
    } else {
      const name = a.function.replace(/:\?$/, '');
      const fn = a.function.endsWith(':?') ? `${name}:${published[name] ?? '?'}` : a.function;
      if (fn.endsWith(':?'))
        throw new UsageError(
          `function ${name} has no published version to attach; add it to "functions" or name a version (${name}:3)`,
        );
      await client.triggers.create({
        distributionId: a.spec.distribution,
        behavior: a.spec.behavior,
        eventType: a.spec.event,
        function: fn,
        includeBody: !!a.spec.includeBody,
      });
      log(`attached ${fn} to ${a.spec.distribution} ${a.spec.behavior} ${a.spec.event}`);
    }
  }
  return published;
}

async function confirm(): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question('\nApply these changes? Only "yes" is accepted: ');
    return answer.trim() === 'yes';
  } finally {
    rl.close();
  }
}

export async function applyCommand(argv: string[]): Promise<void> {
  const p = parseCommand(
    argv,
    { file: { type: 'string', short: 'f' }, yes: { type: 'boolean', short: 'y' }, plan: { type: 'boolean' } },
    APPLY_HELP,
  );
  if (!p) return;
  const path = p.values.file ?? p.positionals[0];
  if (!path) throw new UsageError('-f verge.json is required');
  const { file, fns } = await readApplyFile(path);
  const ctx = await connect(p.values);
  const json = ctx.format === 'json';
  await apiErrors(async () => {
    const actions = computePlan(file, fns, await currentState(ctx.client, file));
    if (!json) print(renderPlan(actions));
    if (!actions.length || p.values.plan) {
      if (json) print(JSON.stringify({ plan: planJson(actions), applied: false }, null, 2));
      return;
    }
    if (!p.values.yes && process.stdin.isTTY && !(await confirm())) return print('Apply cancelled; nothing changed.');
    const done: string[] = [];
    const published = await execute(ctx.client, actions, (s) => (done.push(s), json || print(s)));
    if (json) print(JSON.stringify({ plan: planJson(actions), applied: true, published, steps: done }, null, 2));
    else
      print(
        `\nApply complete: ${actions.length} change${actions.length === 1 ? '' : 's'}. \`verge deploy --wait\` follows them to every PoP.`,
      );
  });
}

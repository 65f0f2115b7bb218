/**
 * @module cli/cmd-apply-plan
 * The plan of `verge apply`: compares a `verge.json` (functions from folders, distributions,
 * triggers) with what the control plane has, and lists the actions that make them equal:
 * create or update code / settings and publish when the code's digest or settings changed,
 * create or update distributions whose config differs, attach triggers that differ and remove
 * triggers of managed distributions that the file no longer lists.
 */
import { canonicalJson } from '../shared/replication/protocol.js';
import type {
  DistributionConfig,
  EventType,
  FunctionResource,
  FunctionRuntime,
  Trigger,
  UpdateFunctionInput,
} from '../client/index.js';
import type { LocalPackage } from './cmd-package.js';

export interface FunctionSpec {
  name: string;
  path: string;
  /** One of Verge's runtimes or an AWS identifier (nodejs20.x, python3.12), mapped on apply. */
  runtime?: FunctionRuntime | string;
  handler?: string;
  env?: Record<string, string>;
  memoryMB?: number;
  timeoutMs?: number;
  profile?: 'cloudfront' | 'relaxed';
  concurrency?: number;
  /** The egress allow-list (docs/security.md); `{ "allow": [] }` removes it. */
  egress?: { allow: string[] };
}

export interface TriggerSpec {
  distribution: string;
  behavior: string;
  event: EventType;
  /** `auth` (the version this apply publishes, else the newest) or `auth:3`. */
  function: string;
  includeBody?: boolean;
}

export interface ApplyFile {
  functions?: FunctionSpec[];
  distributions?: DistributionConfig[];
  triggers?: TriggerSpec[];
}

/** What the control plane has now, for the names in the file. */
export interface CurrentState {
  functions: Map<string, { fn: FunctionResource; digest: string } | undefined>;
  distributions: Map<string, { config: DistributionConfig; etag: string } | undefined>;
  triggers: Map<string, Trigger[]>;
}

export type Action =
  | {
      kind: 'function-create';
      name: string;
      spec: FunctionSpec;
      runtime: FunctionRuntime;
      handler: string;
      pkg: LocalPackage;
    }
  | { kind: 'function-update'; name: string; code: LocalPackage | undefined; patch: UpdateFunctionInput; from: string }
  | { kind: 'function-publish'; name: string; why: string }
  | { kind: 'distribution-create'; id: string; config: DistributionConfig }
  | { kind: 'distribution-update'; id: string; config: DistributionConfig; etag: string }
  | { kind: 'trigger-remove'; id: string; trigger: Trigger }
  | { kind: 'trigger-attach'; spec: TriggerSpec; function: string; replaces: Trigger | undefined };

export interface ResolvedFunction {
  spec: FunctionSpec;
  runtime: FunctionRuntime;
  handler: string;
  pkg: LocalPackage;
}

const newest = (f: FunctionResource) =>
  (f.versions ?? []).reduce<{ version: number; sha256: string } | undefined>(
    (a, v) => (!a || v.version > a.version ? v : a),
    undefined,
  );

function settingsPatch(spec: FunctionSpec, handler: string, fn: FunctionResource): UpdateFunctionInput {
  const patch: UpdateFunctionInput = {};
  if (handler !== fn.handler) patch.handler = handler;
  if (spec.env && canonicalJson(spec.env) !== canonicalJson(fn.env ?? {})) patch.env = spec.env;
  if (spec.memoryMB !== undefined && spec.memoryMB !== fn.memoryMB) patch.memoryMB = spec.memoryMB;
  if (spec.timeoutMs !== undefined && spec.timeoutMs !== fn.timeoutMs) patch.timeoutMs = spec.timeoutMs;
  if (spec.profile !== undefined && spec.profile !== fn.profile) patch.profile = spec.profile;
  if (spec.concurrency !== undefined && spec.concurrency !== fn.concurrency) patch.concurrency = spec.concurrency;
  if (spec.egress !== undefined && canonicalJson(spec.egress.allow) !== canonicalJson(fn.egress?.allow ?? []))
    patch.egress = spec.egress.allow.length ? { allow: spec.egress.allow } : null;
  return patch;
}

function planFunction(
  r: ResolvedFunction,
  cur: CurrentState['functions'] extends Map<string, infer V> ? V : never,
): Action[] {
  const { spec } = r;
  if (!cur)
    return [
      { kind: 'function-create', name: spec.name, spec, runtime: r.runtime, handler: r.handler, pkg: r.pkg },
      { kind: 'function-publish', name: spec.name, why: 'new' },
    ];
  if (cur.fn.runtime !== r.runtime)
    throw new Error(
      `function ${spec.name} runs ${cur.fn.runtime} on the control plane but ${r.runtime} in the file; a runtime cannot change: delete the function or pick another name`,
    );
  const codeChanged = cur.digest !== r.pkg.digest;
  const patch = settingsPatch(spec, r.handler, cur.fn);
  const out: Action[] = [];
  if (codeChanged || Object.keys(patch).length)
    out.push({
      kind: 'function-update',
      name: spec.name,
      code: codeChanged ? r.pkg : undefined,
      patch,
      from: cur.digest,
    });
  const top = newest(cur.fn);
  if (out.length)
    out.push({ kind: 'function-publish', name: spec.name, why: codeChanged ? 'code changed' : 'settings changed' });
  else if (!top || top.sha256 !== cur.fn.codeSha256)
    out.push({ kind: 'function-publish', name: spec.name, why: '$LATEST is not published' });
  return out;
}

/** The version a trigger will name: pinned, or `name:?` when this apply publishes it. */
function targetVersion(ref: string, publishing: Set<string>, current: CurrentState): string {
  if (/:\d+$/.test(ref)) return ref;
  if (publishing.has(ref)) return `${ref}:?`;
  const top = current.functions.get(ref)?.fn ? newest(current.functions.get(ref)!.fn) : undefined;
  return top ? `${ref}:${top.version}` : `${ref}:?`;
}

export function computePlan(file: ApplyFile, fns: ResolvedFunction[], current: CurrentState): Action[] {
  const actions: Action[] = fns.flatMap((r) => planFunction(r, current.functions.get(r.spec.name)));
  const publishing = new Set(
    actions.filter((a) => a.kind === 'function-publish').map((a) => (a as { name: string }).name),
  );
  const dists = file.distributions ?? [];
  const wanted = file.triggers ?? [];
  const key = (d: string, b: string, e: string) => `${d}\0${b}\0${e}`;
  const wantedKeys = new Set(wanted.map((t) => key(t.distribution, t.behavior, t.event)));
  for (const d of dists) {
    for (const t of current.triggers.get(d.id) ?? []) {
      if (!wantedKeys.has(key(t.distributionId, t.behavior, t.eventType)))
        actions.push({ kind: 'trigger-remove', id: t.id, trigger: t });
    }
  }
  for (const d of dists) {
    const cur = current.distributions.get(d.id);
    if (!cur) actions.push({ kind: 'distribution-create', id: d.id, config: d });
    else if (canonicalJson(cur.config) !== canonicalJson(d))
      actions.push({ kind: 'distribution-update', id: d.id, config: d, etag: cur.etag });
  }
  for (const t of wanted) {
    const fn = targetVersion(t.function, publishing, current);
    const existing = (current.triggers.get(t.distribution) ?? []).find(
      (x) => x.behavior === t.behavior && x.eventType === t.event,
    );
    if (existing && existing.function === fn && existing.includeBody === !!t.includeBody) continue;
    actions.push({ kind: 'trigger-attach', spec: t, function: fn, replaces: existing });
  }
  return actions;
}

function line(a: Action): string {
  switch (a.kind) {
    case 'function-create':
      return `  + function ${a.name}: create (${a.runtime}, ${a.handler}, ${a.pkg.files.size} file${a.pkg.files.size === 1 ? '' : 's'}, sha256 ${a.pkg.digest.slice(0, 12)})`;
    case 'function-update': {
      const what = [
        a.code ? `code ${a.from.slice(0, 12)} → ${a.code.digest.slice(0, 12)}` : '',
        ...Object.keys(a.patch),
      ].filter(Boolean);
      return `  ~ function ${a.name}: update ${what.join(', ')}`;
    }
    case 'function-publish':
      return `  + function ${a.name}: publish a new version (${a.why})`;
    case 'distribution-create':
      return `  + distribution ${a.id}: create`;
    case 'distribution-update':
      return `  ~ distribution ${a.id}: update config`;
    case 'trigger-remove':
      return `  - trigger ${a.trigger.distributionId} ${a.trigger.behavior} ${a.trigger.eventType}: detach ${a.trigger.function}`;
    case 'trigger-attach': {
      const fn = a.function.endsWith(':?') ? `${a.function.slice(0, -2)}:(new version)` : a.function;
      const sign = a.replaces ? '~' : '+';
      const from = a.replaces ? ` (was ${a.replaces.function})` : '';
      return `  ${sign} trigger ${a.spec.distribution} ${a.spec.behavior} ${a.spec.event}: attach ${fn}${a.spec.includeBody ? ' with body' : ''}${from}`;
    }
  }
}

export function renderPlan(actions: Action[]): string {
  if (!actions.length) return 'No changes. The control plane matches the file.';
  const add = actions.filter(
    (a) => a.kind.endsWith('create') || a.kind === 'function-publish' || (a.kind === 'trigger-attach' && !a.replaces),
  ).length;
  const del = actions.filter((a) => a.kind === 'trigger-remove').length;
  const change = actions.length - add - del;
  return `Verge will perform these actions:\n\n${actions.map(line).join('\n')}\n\nPlan: ${add} to add, ${change} to change, ${del} to remove.`;
}

/** JSON for `--output json` (packages reduced to their digest). */
export function planJson(actions: Action[]): unknown[] {
  return actions.map((a) => {
    if (a.kind === 'function-create')
      return { kind: a.kind, name: a.name, runtime: a.runtime, handler: a.handler, sha256: a.pkg.digest };
    if (a.kind === 'function-update') return { kind: a.kind, name: a.name, codeSha256: a.code?.digest, patch: a.patch };
    if (a.kind === 'distribution-create' || a.kind === 'distribution-update') return { kind: a.kind, id: a.id };
    if (a.kind === 'trigger-remove') return { kind: a.kind, id: a.id, trigger: a.trigger };
    if (a.kind === 'trigger-attach') return { kind: a.kind, ...a.spec, function: a.function, replaces: a.replaces?.id };
    return a;
  });
}

/**
 * @module cli/fn-dev-server
 * The engine of `verge dev`: a static-mode edge on a project folder that reloads when a config
 * or function file changes. Reloading compiles a new plan and swaps it with `edge.applyPlan`
 * (functions are loaded first; a failure keeps the previous version serving). The cache is never
 * dropped: keys do not depend on the plan, so untouched behaviors keep their cached objects.
 * `--origin URL` points every origin of every distribution at one proxy target.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { EdgePlan } from '../edge/config/plan.js';
import { compilePlan } from '../edge/config/compile.js';
import { loadConfigFiles, type LoadedConfig } from '../edge/config/load.js';
import { startEdge, type Edge, type EdgeOptions } from '../edge/edge.js';
import { functionObject } from '../shared/config/functions.js';
import type { DistributionConfig, OriginConfig } from '../shared/config/types.js';
import { VergeError } from '../shared/errors.js';
import { UsageError } from './args.js';

export interface DevServerOptions {
  dir: string;
  port?: number;
  host?: string;
  /** Every distribution's origins are replaced by this one (http or https URL). */
  origin?: string;
  /** Where human-readable lines go (default: nowhere). */
  out?: (line: string) => void;
  debounceMs?: number;
  edge?: Partial<EdgeOptions>;
}

export interface ReloadOutcome {
  ok: boolean;
  /** The new plan's version when ok; the reason when not. */
  planVersion?: string;
  error?: string;
}

export interface DevServer {
  readonly edge: Edge;
  readonly url: string;
  /** The config files being served. */
  readonly configFiles: readonly string[];
  /** Reload now (what a file change does after the debounce). */
  reload(): Promise<ReloadOutcome>;
  /** Resolves with the outcome of the next reload that completes. */
  nextReload(): Promise<ReloadOutcome>;
  close(): Promise<void>;
}

const NOT_CONFIGS = new Set(['package.json', 'package-lock.json', 'tsconfig.json', 'jsconfig.json']);

/** `DIR/verge.json` if present, else every top-level `*.json` that looks like a distribution. */
export async function findConfigFiles(dir: string): Promise<string[]> {
  const single = join(dir, 'verge.json');
  if (
    await stat(single).then(
      (s) => s.isFile(),
      () => false,
    )
  )
    return [single];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new UsageError(`cannot read the project folder ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const out: string[] = [];
  for (const name of names.sort()) {
    if (!name.endsWith('.json') || NOT_CONFIGS.has(name) || name.startsWith('.')) continue;
    const file = join(dir, name);
    if (await looksLikeDistribution(file)) out.push(file);
  }
  if (out.length === 0) {
    throw new VergeError(
      'CONFIG_INVALID',
      `no distribution config in ${dir}: add verge.json or a *.json distribution config (see docs/configuration.md)`,
    );
  }
  return out;
}

/** Data files (a KeyValueStore, geo overrides) sit next to configs; a file that isn't JSON is reported. */
async function looksLikeDistribution(file: string): Promise<boolean> {
  try {
    const v = JSON.parse(await readFile(file, 'utf8')) as unknown;
    return typeof v === 'object' && v !== null && ('defaultCacheBehavior' in v || 'origins' in v);
  } catch {
    return true;
  }
}

/** Replace every origin by the `--origin` target, keeping ids (behaviors and groups refer to them). */
export function overrideOrigins(c: DistributionConfig, origin: URL): DistributionConfig {
  const protocol = origin.protocol === 'https:' ? 'https' : 'http';
  const path = origin.pathname.replace(/\/+$/, '');
  const origins = c.origins.map((o): OriginConfig => {
    const { bucket: _b, domainName: _d, port: _p, protocol: _pr, originPath: _op, ...rest } = o;
    return {
      ...rest,
      domainName: origin.hostname.replace(/^\[|\]$/g, ''),
      port: origin.port ? Number(origin.port) : protocol === 'https' ? 443 : 80,
      protocol,
      ...(path ? { originPath: path } : {}),
    };
  });
  return { ...c, origins };
}

export function parseOriginUrl(s: string): URL {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new UsageError(`--origin "${s}" is not a URL (e.g. http://127.0.0.1:3001)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new UsageError('--origin must be an http:// or https:// URL');
  if (u.search || u.hash) throw new UsageError('--origin takes no query string or fragment');
  return u;
}

async function loadProject(
  dir: string,
  origin: URL | undefined,
): Promise<{ plan: EdgePlan; files: string[]; configs: LoadedConfig[] }> {
  const files = await findConfigFiles(dir);
  const { plan, configs } = await loadConfigFiles(files);
  if (!origin) return { plan, files, configs };
  return {
    plan: compilePlan(configs.map((c) => ({ ...c, config: overrideOrigins(c.config, origin) }))),
    files,
    configs,
  };
}

/** Folders to watch: the project, plus any folder a function or KVS file lives in outside it. */
function watchRoots(dir: string, configs: readonly LoadedConfig[]): string[] {
  const roots = new Set([dir]);
  for (const c of configs) {
    const behaviors = [c.config.defaultCacheBehavior, ...(c.config.cacheBehaviors ?? [])];
    for (const b of behaviors) {
      for (const a of b.functionAssociations ?? []) {
        const f = functionObject(a.function);
        for (const p of [f.path, f.kvs?.path]) {
          if (p === undefined) continue;
          const abs = resolve(c.baseDir, p);
          if (!isInside(abs, dir)) roots.add(dirname(abs));
        }
      }
    }
  }
  return [...roots].filter((r) => ![...roots].some((o) => o !== r && isInside(r, o)));
}

function isInside(p: string, root: string): boolean {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && !/^[A-Za-z]:/.test(rel));
}

/** Editors' swap files, VCS folders and dependencies don't trigger a reload. */
function ignored(name: string | null): boolean {
  if (!name) return false;
  return name
    .split(/[\\/]/)
    .some((seg) => seg.startsWith('.') || seg === 'node_modules' || seg.endsWith('~') || seg.endsWith('.swp'));
}

export async function startDevServer(o: DevServerOptions): Promise<DevServer> {
  const dir = resolve(o.dir);
  const out = o.out ?? (() => {});
  const origin = o.origin ? parseOriginUrl(o.origin) : undefined;
  let project = await loadProject(dir, origin);
  const edge = await startEdge({
    host: o.host ?? '127.0.0.1',
    port: o.port ?? 3000,
    accessLog: 'off',
    ...o.edge,
    plan: project.plan,
  });
  let waiters: Array<(r: ReloadOutcome) => void> = [];
  let chain: Promise<ReloadOutcome> = Promise.resolve({ ok: true });
  let watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const reloadOnce = async (): Promise<ReloadOutcome> => {
    let outcome: ReloadOutcome;
    try {
      const next = await loadProject(dir, origin);
      await edge.applyPlan(next.plan);
      project = next;
      outcome = { ok: true, planVersion: next.plan.version };
      out(`reloaded: ${describePlan(next.plan)}`);
      rewatch();
    } catch (e) {
      const msg = e instanceof VergeError ? `${e.code}: ${e.message}` : String((e as Error)?.stack ?? e);
      outcome = { ok: false, error: msg };
      out(`reload refused; still serving the previous version.\n${msg}`);
    }
    const w = waiters;
    waiters = [];
    for (const f of w) f(outcome);
    return outcome;
  };
  // Reloads run one at a time, in order.
  const reload = (): Promise<ReloadOutcome> => (chain = chain.then(reloadOnce, reloadOnce));

  const onChange = (_event: string, name: string | Buffer | null) => {
    if (closed || ignored(name === null ? null : String(name))) return;
    clearTimeout(timer);
    timer = setTimeout(() => void reload(), o.debounceMs ?? 150);
  };
  function rewatch(): void {
    const roots = watchRoots(dir, project.configs);
    const have = new Set(watchers.map((w) => (w as FSWatcher & { root?: string }).root));
    if (roots.length === have.size && roots.every((r) => have.has(r))) return;
    for (const w of watchers) w.close();
    watchers = roots.map((root) => {
      const w = watch(root, { recursive: true }, onChange) as FSWatcher & { root?: string };
      w.root = root;
      w.on('error', (e) => out(`watch ${root}: ${String(e)}`));
      return w;
    });
  }
  rewatch();

  return {
    edge,
    url: edge.url,
    get configFiles() {
      return project.files;
    },
    reload,
    nextReload: () => new Promise<ReloadOutcome>((r) => waiters.push(r)),
    async close() {
      closed = true;
      clearTimeout(timer);
      for (const w of watchers) w.close();
      await chain.catch(() => {});
      await edge.close();
    },
  };
}

/** One line per distribution: id, host names, behaviors and the functions attached. */
export function describePlan(plan: EdgePlan): string {
  return plan.distributions
    .map((d) => {
      const behaviors = d.behaviors.map((b) => {
        const fns = Object.values(b.hooks)
          .filter((h) => h !== null)
          .map((h) => `${h!.eventType}:${h!.source.name}`);
        return fns.length ? `${b.pathPattern} [${fns.join(', ')}]` : b.pathPattern;
      });
      return `${d.id} (${[...d.aliases, d.domainName].join(', ')}) behaviors ${behaviors.join('; ')}`;
    })
    .join('\n  ');
}

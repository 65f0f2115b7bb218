/**
 * @module runtime/host/builtins-link
 * The seam to the builtin modules (`./builtins.ts`, owned by the runtime-modules work): loads
 * them when present and prefetches every builtin's source once, so the synchronous `load` op
 * an isolate calls on first `require` can compile it at once (with V8 cached data).
 * Without that module the runtime still works, with no builtins (every require names the module).
 */
import type { EgressPolicy } from './egress/policy.js';

export interface BuiltinsModule {
  BUILTIN_NAMES: readonly string[];
  builtinSource(name: string): Promise<string>;
  GUEST_GLOBALS: Readonly<Record<string, [module: string, exportName: string]>>;
  createHostFunctions(opts: {
    fetchTimeoutMs: number;
    maxFetchBytes: number;
    signal?: AbortSignal;
    egress?: EgressPolicy;
  }): Record<string, (...args: any[]) => unknown>;
}

export interface BuiltinSet {
  names: readonly string[];
  sources: ReadonlyMap<string, string>;
  globals: Readonly<Record<string, [string, string]>>;
  createHostFunctions: BuiltinsModule['createHostFunctions'];
}

let loaded: Promise<BuiltinSet> | undefined;

async function loadBuiltins(): Promise<BuiltinSet> {
  let mod: BuiltinsModule | undefined;
  const specifier = './builtins.js';
  try {
    mod = (await import(specifier)) as BuiltinsModule;
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw e;
  }
  if (!mod) return { names: [], sources: new Map(), globals: {}, createHostFunctions: () => ({}) };
  const sources = new Map<string, string>();
  const names: string[] = [];
  await Promise.all(
    mod.BUILTIN_NAMES.map(async (name) => {
      try {
        sources.set(name, await mod.builtinSource(name));
        names.push(name);
      } catch {
        // A builtin that does not build is left out: requiring it names the module.
      }
    }),
  );
  return { names, sources, globals: mod.GUEST_GLOBALS, createHostFunctions: mod.createHostFunctions.bind(mod) };
}

/** The builtins, loaded once per process. */
export function getBuiltins(): Promise<BuiltinSet> {
  loaded ??= loadBuiltins().catch((e: unknown) => {
    loaded = undefined;
    throw e;
  });
  return loaded;
}

/**
 * @module runtime/host/builtins/build
 * Builds the guest builtins (src/runtime/guest/builtins/<name>.ts) into JavaScript that runs
 * inside an isolate: one esbuild pass bundles every module with its npm polyfills (IIFE,
 * browser platform, minified, es2022), and each output is wrapped into ONE expression that
 * evaluates to the module's factory `(bridge, require) => exports`.
 * The built CLI reads them from dist/runtime/guest-prebuilt/builtins/, which `npm run build`
 * writes (scripts/build.mjs calls buildBuiltinSources). Run from source (tests, tsx), they are
 * built once and cached in the system's temporary folder (verge-builtins-<uid>/<hash>/, the hash
 * covering the guest sources, the polyfills' versions and esbuild's version), so a warm start
 * never runs esbuild; nothing is written into node_modules.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VergeError } from '../../../shared/errors.js';

/** Module name → entry file (kebab-case) under the guest builtins folder. */
export const BUILTIN_FILES: Readonly<Record<string, string>> = {
  querystring: 'querystring.ts',
  url: 'url.ts',
  buffer: 'buffer.ts',
  path: 'path.ts',
  util: 'util.ts',
  crypto: 'crypto.ts',
  zlib: 'zlib.ts',
  http: 'http.ts',
  https: 'https.ts',
  events: 'events.ts',
  string_decoder: 'string-decoder.ts',
  assert: 'assert.ts',
  stream: 'stream.ts',
  __fetch: 'fetch.ts',
  __web: 'web.ts',
};

/** npm packages bundled into the guest; their versions are part of the cache key. */
const BUNDLED_PACKAGES = ['buffer', 'base64-js', 'ieee754', 'path-browserify', 'esbuild'];

export interface BuiltBuiltin {
  source: string;
  /** sha256 of `source`: a stable key for V8 code caches. */
  hash: string;
}

interface Paths {
  root: string;
  guestDir: string;
  cacheDir: string;
}

function findPaths(): Paths {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const guestDir = join(dir, 'src', 'runtime', 'guest', 'builtins');
    if (existsSync(join(dir, 'package.json')) && existsSync(guestDir)) {
      return { root: dir, guestDir, cacheDir: join(tmpdir(), `verge-builtins-${uid()}`) };
    }
    dir = dirname(dir);
  }
  throw new VergeError(
    'INTERNAL',
    'guest builtin sources (src/runtime/guest/builtins) not found above ' + fileURLToPath(import.meta.url),
  );
}

function uid(): string {
  try {
    return String(userInfo().uid);
  } catch {
    return 'user';
  }
}

/** Where `npm run build` puts the prebuilt builtins (in dist/, beside the host code). */
export const PREBUILT_BUILTINS = fileURLToPath(new URL('../../guest-prebuilt/builtins/', import.meta.url));

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

/** Hash of everything that affects the output. */
function sourceKey(paths: Paths): string {
  const h = createHash('sha256');
  for (const f of listFiles(paths.guestDir))
    h.update(f.slice(paths.guestDir.length)).update('\0').update(readFileSync(f)).update('\0');
  for (const pkg of BUNDLED_PACKAGES) {
    const pj = join(paths.root, 'node_modules', pkg, 'package.json');
    h.update(
      pkg + '@' + (existsSync(pj) ? (JSON.parse(readFileSync(pj, 'utf8')) as { version: string }).version : '?'),
    );
  }
  return h.digest('hex').slice(0, 20);
}

const GLOBAL = '__verge_builtin';

/** Wraps esbuild's `var __verge_builtin=(()=>{...})();` into one expression yielding the factory. */
function wrap(code: string): string {
  return `(()=>{${code.trim()}\nreturn ${GLOBAL}.default;})()`;
}

/** Every builtin bundled from its sources: name → source (the build step, or a run from source). */
export function buildBuiltinSources(): Promise<Map<string, string>> {
  return runEsbuild(findPaths());
}

async function runEsbuild(paths: Paths): Promise<Map<string, string>> {
  const esbuild = await import('esbuild');
  const names = Object.keys(BUILTIN_FILES);
  const out = new Map<string, string>();
  // One build per module (IIFE does not support code splitting); run them in parallel.
  await Promise.all(
    names.map(async (name) => {
      const res = await esbuild.build({
        entryPoints: [join(paths.guestDir, BUILTIN_FILES[name]!)],
        bundle: true,
        write: false,
        format: 'iife',
        globalName: GLOBAL,
        platform: 'browser',
        target: 'es2022',
        minify: true,
        legalComments: 'none',
        logLevel: 'silent',
        absWorkingDir: paths.root,
        tsconfig: join(paths.guestDir, 'tsconfig.json'),
      });
      out.set(name, wrap(res.outputFiles[0]!.text));
    }),
  );
  return out;
}

function readDiskCache(dir: string): Map<string, string> | null {
  const out = new Map<string, string>();
  for (const name of Object.keys(BUILTIN_FILES)) {
    const f = join(dir, `${name}.js`);
    if (!existsSync(f)) return null;
    out.set(name, readFileSync(f, 'utf8'));
  }
  return out;
}

/**
 * The cache folder when it is ours alone (created 0700 by us): code read from it runs in every
 * isolate, so a folder another user made or can write to is not used.
 */
function ownedCacheDir(dir: string): string | null {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = statSync(dir);
    const me = process.getuid?.();
    if (me !== undefined && st.uid !== me) return null;
    return (st.mode & 0o022) === 0 ? dir : null;
  } catch {
    return null;
  }
}

function writeDiskCache(dir: string, sources: Map<string, string>): void {
  try {
    const tmp = `${dir}.tmp-${process.pid}`;
    mkdirSync(tmp, { recursive: true });
    for (const [name, src] of sources) writeFileSync(join(tmp, `${name}.js`), src);
    renameSync(tmp, dir); // atomic: a concurrent process sees all files or none
  } catch {
    // A read-only tree or a lost race only costs the next process a rebuild.
  }
}

let pending: Promise<Map<string, BuiltBuiltin>> | null = null;

/** All builtins, built once per process (from the disk cache when the sources are unchanged). */
export function buildAll(): Promise<Map<string, BuiltBuiltin>> {
  pending ??= (async () => {
    let sources = readDiskCache(PREBUILT_BUILTINS);
    if (!sources) {
      const paths = findPaths();
      const cache = ownedCacheDir(paths.cacheDir);
      const dir = cache && join(cache, sourceKey(paths));
      sources = dir ? readDiskCache(dir) : null;
      if (!sources) {
        try {
          sources = await runEsbuild(paths);
        } catch (e) {
          throw new VergeError('INTERNAL', `building the guest builtins failed: ${(e as Error).message}`, {
            cause: e,
          });
        }
        if (dir) writeDiskCache(dir, sources);
      }
    }
    const built = new Map<string, BuiltBuiltin>();
    for (const [name, source] of sources)
      built.set(name, { source, hash: createHash('sha256').update(source).digest('hex') });
    return built;
  })();
  pending.catch(() => (pending = null));
  return pending;
}

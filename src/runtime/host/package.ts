/**
 * @module runtime/host/package
 * Turns a function package (a `.js/.mjs/.cjs/.ts` file, a folder with `node_modules`, a `.zip`,
 * or in-memory files) into one CommonJS script for the isolate: esbuild bundles the handler's
 * module with the package's own files and dependencies (TypeScript and ES modules included),
 * leaving Node builtins and unresolvable packages to the runtime `require`, which names them.
 * Also: the handler string rules and module resolution order of spec 2.1, and the compressed
 * size check of spec 4.1 (the smallest limit of the events the function is attached to).
 */
import { mkdtemp, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, posix, relative, sep } from 'node:path';
import { build, transform, type Plugin } from 'esbuild';
import { deflateSync, unzipSync } from 'fflate';
import { VergeError } from '../../shared/errors.js';
import type { FunctionSource } from '../../shared/lambda-edge/index.js';
import { findJs1Refusal, js1Message } from './cff-js1-syntax.js';

/** What the isolate needs to load the function. */
export interface BuiltPackage {
  /** A function expression `(function (exports, require, module, __filename, __dirname) {...})`. */
  wrapper: string;
  /** The handler module's path as the function sees it (`/var/task/index.js`). */
  filename: string;
  /** The export path inside the module (`handler`, `a.b`). */
  exportPath: string;
  /** Compressed package size in bytes. */
  packageBytes: number;
  /** Source map of the compiled code (its first line is line 2 of `wrapper`). */
  sourceMap?: string;
}

const TASK_ROOT = '/var/task';
const SCRIPT_EXTS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'];

function loadError(message: string, details?: Record<string, unknown>): VergeError {
  return new VergeError('FUNCTION_LOAD_ERROR', message, details ? { details } : {});
}

/** `index.handler` → module `index`, export `handler`; `src/app.a.b` → `src/app`, `a.b` (spec 2.1). */
export function parseHandler(handler: string): { module: string; exportPath: string } {
  if (handler.includes('..'))
    throw loadError(`Runtime.MalformedHandlerName: '${handler}': '..' is not allowed in a handler name`);
  const slash = handler.lastIndexOf('/');
  const dot = handler.indexOf('.', slash + 1);
  const module = handler.slice(0, dot);
  const exportPath = handler.slice(dot + 1);
  const ok =
    dot > slash + 1 && exportPath.split('.').every((p) => /^[A-Za-z_$][\w$]*$/.test(p)) && !module.startsWith('/');
  if (!ok)
    throw loadError(`Runtime.MalformedHandlerName: '${handler}' is not of the form file.export (e.g. index.handler)`);
  return { module, exportPath };
}

interface FileSet {
  root: string;
  /** Relative posix path → bytes, for size accounting. */
  files: Map<string, Uint8Array>;
  /** A temp dir to remove afterwards. */
  temp?: string;
  /** A single-file package: the entry is fixed. */
  entry?: string;
  /** The zip's own size, when the package is a zip. */
  zipBytes?: number;
}

/** Reject names that are absolute or climb out of the package root once normalized. */
export function safeEntryName(name: string): string {
  const n = posix.normalize(name.replace(/\\/g, '/'));
  if (n.startsWith('/') || /^[A-Za-z]:/.test(n) || n === '..' || n.startsWith('../') || n.includes('\0')) {
    throw loadError(`Package entry escapes the package root: ${name}`);
  }
  return n;
}

async function materialize(files: Map<string, Uint8Array>): Promise<string> {
  const temp = await mkdtemp(join(tmpdir(), 'verge-fn-'));
  for (const [name, data] of files) {
    const target = join(temp, ...name.split('/'));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, data);
  }
  return temp;
}

async function walk(root: string, dir = root, out = new Map<string, Uint8Array>()): Promise<Map<string, Uint8Array>> {
  for (const ent of await readdir(dir, { withFileTypes: true })) {
    if (ent.name === '.git') continue;
    const full = join(dir, ent.name);
    if (ent.isDirectory()) await walk(root, full, out);
    else if (ent.isFile()) out.set(relative(root, full).split(sep).join('/'), await readFile(full));
  }
  return out;
}

async function collect(code: FunctionSource['code']): Promise<FileSet> {
  if ('files' in code) {
    const files = new Map<string, Uint8Array>();
    for (const [name, data] of Object.entries(code.files)) {
      files.set(safeEntryName(name), typeof data === 'string' ? new TextEncoder().encode(data) : data);
    }
    const root = await materialize(files);
    return { root, files, temp: root };
  }
  const st = await stat(code.path).catch(() => undefined);
  if (!st) throw loadError(`Function package not found: ${code.path}`);
  if (st.isDirectory()) return { root: code.path, files: await walk(code.path) };
  if (extname(code.path).toLowerCase() === '.zip') {
    const zip = new Uint8Array(await readFile(code.path));
    let entries: Record<string, Uint8Array>;
    try {
      entries = unzipSync(zip);
    } catch (e) {
      throw loadError(`Not a readable zip file: ${code.path}: ${(e as Error).message}`);
    }
    const files = new Map<string, Uint8Array>();
    for (const [name, data] of Object.entries(entries)) if (!name.endsWith('/')) files.set(safeEntryName(name), data);
    const root = await materialize(files);
    return { root, files, temp: root, zipBytes: zip.byteLength };
  }
  const data = new Uint8Array(await readFile(code.path));
  return { root: dirname(code.path), files: new Map([[basename(code.path), data]]), entry: basename(code.path) };
}

function kb(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`;
}

/** Compressed size as a zip would hold it (deflate per entry plus headers), and the largest entries. */
export function compressedSize(files: ReadonlyMap<string, Uint8Array>): {
  total: number;
  largest: Array<[string, number]>;
} {
  let total = 22;
  const sizes: Array<[string, number]> = [];
  for (const [name, data] of files) {
    const c = Math.min(deflateSync(data, { level: 6 }).byteLength, data.byteLength);
    sizes.push([name, c]);
    total += c + 30 + 46 + 2 * Buffer.byteLength(name);
  }
  sizes.sort((a, b) => b[1] - a[1]);
  return { total, largest: sizes.slice(0, 5) };
}

/** The CloudFront rule (spec 4.1), with the largest files named so the fix is obvious. */
export function checkPackageSize(files: ReadonlyMap<string, Uint8Array>, maxBytes: number, zipBytes?: number): number {
  const { total, largest } = compressedSize(files);
  const bytes = zipBytes ?? total;
  if (bytes > maxBytes) {
    const list = largest.map(([n, s]) => `${n} (${kb(s)})`).join(', ');
    throw loadError(
      `The function code size is larger than the maximum allowed size for functions that are triggered by a CloudFront event: ${bytes} Max allowed: ${maxBytes}. Largest files: ${list}`,
      { bytes, maxBytes, largest },
    );
  }
  return bytes;
}

/** Spec 2.1: extension-less file, `.js`, `.mjs`, `.cjs` (then our `.ts` family), then a directory index. */
function resolveEntry(set: FileSet, module: string): string {
  if (set.entry) return set.entry;
  const candidates = [module, ...SCRIPT_EXTS.map((e) => module + e), ...SCRIPT_EXTS.map((e) => `${module}/index${e}`)];
  const found = candidates.find((c) => set.files.has(c));
  if (!found)
    throw loadError(
      `Runtime.ImportModuleError: Error: Cannot find module '${module}' (handler module not in the package)`,
    );
  return found;
}

/** Bare specifiers the package does not contain stay external: requiring them at run time names them. */
const externalIfMissing: Plugin = {
  name: 'verge-external-if-missing',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === 'verge-retry') return undefined;
      const r = await b.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: 'verge-retry',
      });
      if (r.errors.length > 0) return { path: args.path, external: true };
      return r;
    });
  },
};

function formatEsbuildError(e: unknown): string {
  const errors = (
    e as { errors?: Array<{ text: string; location?: { file: string; line: number; column: number } | null }> }
  ).errors;
  if (!errors?.length) return (e as Error).message;
  return errors
    .slice(0, 5)
    .map((m) => (m.location ? `${m.location.file}:${m.location.line}:${m.location.column + 1}: ${m.text}` : m.text))
    .join('\n');
}

async function bundle(set: FileSet, entry: string): Promise<{ code: string; map: string; inputs: string[] }> {
  try {
    const out = await build({
      entryPoints: [join(set.root, entry)],
      absWorkingDir: set.root,
      outfile: join(set.root, '__verge_bundle.js'),
      sourcemap: 'external',
      sourcesContent: false,
      bundle: true,
      write: false,
      metafile: true,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      external: ['cloudfront'],
      plugins: [externalIfMissing],
      define: { 'import.meta.url': JSON.stringify(`file://${TASK_ROOT}/${entry}`) },
      logLevel: 'silent',
      legalComments: 'none',
      charset: 'utf8',
    });
    const inputs = Object.keys(out.metafile.inputs);
    const code = out.outputFiles.find((f) => f.path.endsWith('.js'))!.text;
    const map = out.outputFiles.find((f) => f.path.endsWith('.map'))?.text ?? '';
    return { code, map, inputs };
  } catch (e) {
    throw loadError(`Could not compile the function: ${formatEsbuildError(e)}`);
  }
}

export function wrapModule(code: string, strict = false): string {
  return `(function (exports, require, module, __filename, __dirname) {${strict ? "'use strict';" : ''}\n${code}\n})`;
}

/** Load a Lambda@Edge (Node.js) package. */
export async function buildLambdaPackage(source: FunctionSource, maxPackageBytes: number): Promise<BuiltPackage> {
  const { module, exportPath } = parseHandler(source.handler || 'index.handler');
  const set = await collect(source.code);
  try {
    const entry = resolveEntry(set, module);
    if (!SCRIPT_EXTS.includes(extname(entry)) && extname(entry) !== '') {
      throw loadError(`Unsupported handler file type: ${entry} (expected ${SCRIPT_EXTS.join(', ')})`);
    }
    const { code, map, inputs } = await bundle(set, entry);
    // A single-file package counts what it bundles; a folder or zip counts everything in it.
    const counted = set.entry
      ? new Map(inputs.flatMap((i) => (set.files.has(i) ? [[i, set.files.get(i)!] as const] : [])))
      : set.files;
    if (set.entry) {
      for (const i of inputs) if (!counted.has(i)) counted.set(i, new Uint8Array(await readFile(join(set.root, i))));
    }
    const packageBytes = checkPackageSize(counted, maxPackageBytes, set.zipBytes);
    return { wrapper: wrapModule(code), filename: `${TASK_ROOT}/${entry}`, exportPath, packageBytes, sourceMap: map };
  } finally {
    if (set.temp !== undefined) await rm(set.temp, { recursive: true, force: true });
  }
}

/**
 * A CloudFront Function's one source file and its name: in-memory files, a `.zip` package (what a
 * managed edge holds: the control plane ships every function as a content-addressed zip), or
 * the file itself.
 */
async function cffSource(code: FunctionSource['code']): Promise<{ text: string; filename: string }> {
  let entries: Array<[string, string | Uint8Array]>;
  if ('files' in code) entries = Object.entries(code.files);
  else if (extname(code.path).toLowerCase() === '.zip') {
    const zip = await readFile(code.path).catch(() => {
      throw loadError(`Function package not found: ${code.path}`);
    });
    try {
      entries = Object.entries(unzipSync(new Uint8Array(zip))).filter(([n]) => !n.endsWith('/'));
    } catch (e) {
      throw loadError(`Not a readable zip file: ${code.path}: ${(e as Error).message}`);
    }
  } else {
    const text = await readFile(code.path, 'utf8').catch(() => {
      throw loadError(`Function file not found: ${code.path}`);
    });
    return { text, filename: basename(code.path) };
  }
  if (entries.length !== 1)
    throw loadError(`A CloudFront Function is one source file (the package has ${entries.length})`);
  const [name, data] = entries[0]!;
  return { text: typeof data === 'string' ? data : new TextDecoder().decode(data), filename: safeEntryName(name) };
}

/**
 * Load a CloudFront Function: one source file, at most `maxCodeBytes` (spec 4.2), strict mode,
 * for cloudfront-js-1.0 only the language 1.0 has (cff-js1-syntax.ts),
 * a top-level `function handler(event)` that is not exported (spec 8.1). `import cf from
 * 'cloudfront'` and `import crypto from 'crypto'` become runtime requires.
 */
export async function buildCffPackage(source: FunctionSource, maxCodeBytes: number): Promise<BuiltPackage> {
  const { text, filename } = await cffSource(source.code);
  const bytes = Buffer.byteLength(text);
  if (bytes > maxCodeBytes) {
    throw loadError(
      `The function code size is larger than the maximum allowed size for CloudFront Functions: ${bytes} Max allowed: ${maxCodeBytes}`,
    );
  }
  if (source.runtime === 'cloudfront-js-1.0') {
    const refused = findJs1Refusal(text);
    if (refused)
      throw loadError(
        `Could not compile the function: ${filename}:${refused.line}:${refused.column}: ${js1Message(refused)}`,
      );
  }
  let code: string;
  let map: string;
  try {
    const out = await transform(
      `${text}\n;module.exports.__cffHandler = typeof handler === 'function' ? handler : undefined;`,
      {
        format: 'cjs',
        loader: 'js',
        target: 'es2022',
        sourcefile: filename,
        sourcemap: 'external',
        sourcesContent: false,
        logLevel: 'silent',
      },
    );
    code = out.code;
    map = out.map;
  } catch (e) {
    throw loadError(`Could not compile the function: ${formatEsbuildError(e)}`);
  }
  return {
    wrapper: wrapModule(code, true),
    filename: `${TASK_ROOT}/index.js`,
    exportPath: 'handler',
    packageBytes: bytes,
    sourceMap: map,
  };
}

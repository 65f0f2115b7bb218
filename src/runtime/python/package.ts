/**
 * @module runtime/python/package
 * Turns a Python function package (a `.py` file, a folder with vendored pure-Python dependencies
 * beside the handler, a `.zip`, or in-memory files) into the bytes sent to the interpreter, which
 * mounts them at /var/task (the interpreter never reads host files itself). Checks the handler
 * string (`module.function`, module by path `src/app` or dotted `pkg.app`, as Lambda's Python
 * runtime splits it at the last dot) and the compressed size against the profile (spec 4.1).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, relative, sep } from 'node:path';
import { unzipSync } from 'fflate';
import { VergeError } from '../../shared/errors.js';
import type { FunctionSource } from '../../shared/lambda-edge/index.js';
import { checkPackageSize, safeEntryName } from '../host/package.js';

export interface PythonPackage {
  files: Record<string, Uint8Array>;
  handler: string;
  packageBytes: number;
}

const SKIP_DIRS = new Set(['.git', '__pycache__', '.venv', 'node_modules']);

function loadError(message: string): VergeError {
  return new VergeError('FUNCTION_LOAD_ERROR', message);
}

async function walk(root: string, dir = root, out = new Map<string, Uint8Array>()): Promise<Map<string, Uint8Array>> {
  for (const ent of await readdir(dir, { withFileTypes: true })) {
    if (SKIP_DIRS.has(ent.name)) continue;
    const full = join(dir, ent.name);
    if (ent.isDirectory()) await walk(root, full, out);
    else if (ent.isFile()) out.set(relative(root, full).split(sep).join('/'), new Uint8Array(await readFile(full)));
  }
  return out;
}

async function collect(code: FunctionSource['code']): Promise<{ files: Map<string, Uint8Array>; zipBytes?: number }> {
  const files = new Map<string, Uint8Array>();
  if ('files' in code) {
    for (const [name, data] of Object.entries(code.files))
      files.set(safeEntryName(name), typeof data === 'string' ? new TextEncoder().encode(data) : data);
    return { files };
  }
  const st = await stat(code.path).catch(() => undefined);
  if (!st) throw loadError(`Function package not found: ${code.path}`);
  if (st.isDirectory()) return { files: await walk(code.path) };
  const data = new Uint8Array(await readFile(code.path));
  if (extname(code.path).toLowerCase() !== '.zip') return { files: new Map([[basename(code.path), data]]) };
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(data);
  } catch (e) {
    throw loadError(`Not a readable zip file: ${code.path}: ${(e as Error).message}`);
  }
  for (const [name, bytes] of Object.entries(entries)) if (!name.endsWith('/')) files.set(safeEntryName(name), bytes);
  return { files, zipBytes: data.byteLength };
}

/**
 * `index.handler` → module `index`, function `handler`; `src/app.main`, `pkg.app.main` and
 * `my-func.lambda_handler` too. Split at the last dot as Lambda's Python runtime does; the module
 * may have any name importlib accepts (a file `my-func.py` imports as `my-func`). A malformed
 * handler fails with Runtime.MalformedHandlerName saying what is wrong.
 */
export function parsePythonHandler(handler: string): { module: string; fn: string; file: string[] } {
  const bad = (why: string) =>
    loadError(
      `Runtime.MalformedHandlerName: Bad handler '${handler}': ${why} (expected module.function, e.g. index.handler)`,
    );
  const dot = handler.lastIndexOf('.');
  if (dot < 0) throw bad("there is no '.' between the module and the function");
  const module = handler.slice(0, dot);
  const fn = handler.slice(dot + 1);
  if (module === '') throw bad("the module name before the last '.' is empty");
  if (!/^[A-Za-z_]\w*$/.test(fn))
    throw bad(fn === '' ? "the function name after the last '.' is empty" : `'${fn}' is not a Python function name`);
  // Control characters and backslashes name no file importlib could find in /var/task.
  if (/[\u0000-\u001f\u007f\\]/.test(module)) throw bad('the module name has a control character or a backslash');
  const parts = module.split(/[/.]/);
  if (parts.some((p) => p.trim() === ''))
    throw bad(`the module path '${module}' has an empty part (a leading, trailing or doubled '.' or '/')`);
  const path = parts.join('/');
  return { module, fn, file: [`${path}.py`, `${path}/__init__.py`] };
}

/** Collect, check the handler module is there, and check the size against `maxPackageBytes`. */
export async function buildPythonPackage(source: FunctionSource, maxPackageBytes: number): Promise<PythonPackage> {
  const handler = source.handler || 'index.handler';
  const { module, file } = parsePythonHandler(handler);
  const { files, zipBytes } = await collect(source.code);
  if (!file.some((f) => files.has(f)))
    throw loadError(`Runtime.ImportModuleError: Unable to import module '${module}': No module named '${module}'`);
  const packageBytes = checkPackageSize(files, maxPackageBytes, zipBytes);
  return { files: Object.fromEntries(files), handler, packageBytes };
}

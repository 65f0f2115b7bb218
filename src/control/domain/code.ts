/**
 * @module control/domain/code
 * Function code as the API takes it (`{ zipBase64 }`, `{ files }` or `{ source, filename }`)
 * turned into the one form the control plane keeps: a zip built with fflate, addressed by its
 * sha256 (what `publish` reports and what edges verify). Zips are built deterministically
 * (sorted names, fixed timestamps) so the same files give the same hash.
 */
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { posix } from 'node:path';
import type { ConfigProblem } from '../../shared/config/types.js';
import { isCloudFrontFunction } from '../../shared/config/functions.js';
import type { FunctionRuntimeKind } from '../../shared/lambda-edge/index.js';
import { sha256Hex } from '../compile/snapshot.js';
import { validationError } from './validation.js';

export type CodeInput =
  { zipBase64: string } | { files: Record<string, string> } | { source: string; filename?: string };

export interface Package {
  zip: Uint8Array;
  sha256: string;
  size: number;
  files: Map<string, Uint8Array>;
}

/** 1980-01-01, the first time a zip can hold: the same files always give the same bytes. */
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);

function safeName(name: string): string | undefined {
  const n = posix.normalize(name.replace(/\\/g, '/'));
  if (
    n === '' ||
    n === '.' ||
    n.startsWith('/') ||
    /^[A-Za-z]:/.test(n) ||
    n === '..' ||
    n.startsWith('../') ||
    n.includes('\0')
  )
    return undefined;
  return n;
}

function defaultFilename(runtime: FunctionRuntimeKind): string {
  return runtime === 'python' ? 'index.py' : 'index.js';
}

function collect(code: CodeInput, runtime: FunctionRuntimeKind, path: string): Map<string, Uint8Array> {
  const problems: ConfigProblem[] = [];
  const files = new Map<string, Uint8Array>();
  const add = (name: string, data: Uint8Array, where: string) => {
    const safe = safeName(name);
    if (safe === undefined) problems.push({ path: where, message: `${JSON.stringify(name)} escapes the package root` });
    else files.set(safe, data);
  };
  if ('zipBase64' in code) {
    let entries: Record<string, Uint8Array> = {};
    try {
      entries = unzipSync(new Uint8Array(Buffer.from(code.zipBase64, 'base64')));
    } catch (e) {
      problems.push({ path: `${path}.zipBase64`, message: `is not a readable zip (${(e as Error).message})` });
    }
    for (const [name, data] of Object.entries(entries)) if (!name.endsWith('/')) add(name, data, `${path}.zipBase64`);
  } else if ('files' in code) {
    for (const [name, text] of Object.entries(code.files))
      add(name, Buffer.from(text), `${path}.files[${JSON.stringify(name)}]`);
  } else {
    add(code.filename ?? defaultFilename(runtime), Buffer.from(code.source), `${path}.filename`);
  }
  if (problems.length === 0 && files.size === 0) problems.push({ path, message: 'the package holds no files' });
  if (problems.length > 0) throw validationError(problems);
  return files;
}

/** Check the handler names a file of the package (CloudFront Functions have no handler). */
function checkHandler(
  files: Map<string, Uint8Array>,
  runtime: FunctionRuntimeKind,
  handler: string,
  path: string,
): ConfigProblem[] {
  if (isCloudFrontFunction(runtime)) {
    return files.size === 1 ? [] : [{ path, message: `a CloudFront Function is one source file (got ${files.size})` }];
  }
  const slash = handler.lastIndexOf('/');
  const dot = handler.indexOf('.', slash + 1);
  const module = dot > 0 ? handler.slice(0, dot) : handler;
  const exts = runtime === 'python' ? ['.py'] : ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'];
  if ([...files.keys()].some((f) => exts.some((e) => f === module + e) || f.startsWith(module + '/index.'))) return [];
  return [
    {
      path: '$.handler',
      // A new name for the one file of an update is the usual cause: say what fixes it.
      message: `handler ${handler} needs ${module}${exts[0]} (or ${exts.slice(1).join(', ')}) in the package; it has ${[...files.keys()].slice(0, 5).join(', ')} (name the file ${module}${exts[0]}, or create the function with a --handler that names one of its files)`,
    },
  ];
}

export function buildPackage(code: CodeInput, runtime: FunctionRuntimeKind, handler: string, path = '$.code'): Package {
  const files = collect(code, runtime, path);
  const problems = checkHandler(files, runtime, handler, path);
  if (problems.length > 0) throw validationError(problems);
  const tree: Zippable = {};
  for (const name of [...files.keys()].sort()) tree[name] = [files.get(name)!, { mtime: FIXED_MTIME, level: 9 }];
  const zip = zipSync(tree);
  return { zip, sha256: sha256Hex(zip), size: zip.byteLength, files };
}

/** The default handler for code given without one: `<file>.handler` for one source file. */
export function defaultHandler(code: CodeInput, runtime: FunctionRuntimeKind): string {
  if ('source' in code) {
    const base = posix.basename(code.filename ?? defaultFilename(runtime));
    const dot = base.lastIndexOf('.');
    return `${dot > 0 ? base.slice(0, dot) : base}.handler`;
  }
  return 'index.handler';
}

/** The package's files: text files as text, all of it as the zip (base64). */
export function describeZip(zip: Uint8Array): { files: Record<string, string>; binary: string[]; zipBase64: string } {
  const files: Record<string, string> = {};
  const binary: string[] = [];
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (const [name, data] of Object.entries(unzipSync(zip))) {
    if (name.endsWith('/')) continue;
    try {
      files[name] = decoder.decode(data);
    } catch {
      binary.push(name);
    }
  }
  return { files, binary, zipBase64: Buffer.from(zip).toString('base64') };
}

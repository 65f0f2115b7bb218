/**
 * @module shared/config/functions
 * How a function association's `function` field (a path string or an object) resolves to a
 * runtime, handler and name. Shared by the validator (which checks the rules) and the edge
 * compiler (which builds the FunctionSource), so both read the defaults the same way. Pure: no
 * file system; a path with a code extension is taken to be a single file.
 */
import type { FunctionRuntimeKind } from '../lambda-edge/index.js';
import { DEFAULTS } from './defaults.js';
import type { FunctionConfig } from './types.js';

export const FUNCTION_RUNTIMES: readonly FunctionRuntimeKind[] = [
  'nodejs',
  'python',
  'cloudfront-js-2.0',
  'cloudfront-js-1.0',
];
const FILE_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.py'];

export function isCloudFrontFunction(runtime: FunctionRuntimeKind): boolean {
  return runtime === 'cloudfront-js-2.0' || runtime === 'cloudfront-js-1.0';
}

/** The last path segment (either separator), and it without its extension. */
export function splitName(path: string): { base: string; stem: string; ext: string } {
  const trimmed = path.replace(/[/\\]+$/, '');
  const base = trimmed.slice(Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return { base, stem: base, ext: '' };
  return { base, stem: base.slice(0, dot), ext: base.slice(dot).toLowerCase() };
}

/** The object form of a `function` field (a string is `{ path }`). */
export function functionObject(f: string | FunctionConfig): FunctionConfig {
  return typeof f === 'string' ? { path: f } : f;
}

export interface ResolvedFunction {
  path: string;
  runtime: FunctionRuntimeKind;
  handler: string;
  name: string;
  /** True when the path names a single code file (by extension). */
  singleFile: boolean;
}

/**
 * Apply the defaults: runtime `python` for `.py`, else `nodejs`; handler `<basename>.handler`
 * for a single file, `index.handler` for a folder or .zip; name = file name without extension.
 */
export function resolveFunction(f: string | FunctionConfig): ResolvedFunction {
  const o = functionObject(f);
  const { stem, ext } = splitName(o.path);
  const singleFile = FILE_EXTENSIONS.includes(ext);
  const runtime = o.runtime ?? (ext === '.py' ? 'python' : DEFAULTS.functionRuntime);
  const handler = o.handler ?? (singleFile ? `${stem}.handler` : DEFAULTS.folderHandler);
  return { path: o.path, runtime, handler, name: o.name ?? stem, singleFile };
}

/** The extension fits the runtime (`.py` ↔ python); folders and .zip fit any runtime. */
export function extensionFitsRuntime(path: string, runtime: FunctionRuntimeKind): boolean {
  const { ext } = splitName(path);
  if (!FILE_EXTENSIONS.includes(ext)) return true;
  return (ext === '.py') === (runtime === 'python');
}

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
/** What Verge runs for a runtime name, with a note when that is not the version asked for. */
export interface RuntimeMapping {
  runtime: FunctionRuntimeKind;
  note?: string;
}

const NODE_NOTE = (id: string) => `${id} runs on Verge's Node.js 20 runtime (as nodejs20.x)`;
const PYTHON_NOTE = (id: string) => `${id} runs on Verge's Python 3.14 (Pyodide)`;

/**
 * AWS's Lambda runtime identifiers, as they appear in CloudFormation and SAM templates, and what
 * Verge runs for each: one Node.js runtime (the nodejs20.x API) and one Python (3.14 on Pyodide).
 */
export const AWS_RUNTIMES: Readonly<Record<string, RuntimeMapping>> = {
  'nodejs18.x': { runtime: 'nodejs', note: NODE_NOTE('nodejs18.x') },
  'nodejs20.x': { runtime: 'nodejs' },
  'nodejs22.x': { runtime: 'nodejs', note: NODE_NOTE('nodejs22.x') },
  ...Object.fromEntries(
    ['3.9', '3.10', '3.11', '3.12', '3.13'].map((v) => [
      `python${v}`,
      { runtime: 'python', note: PYTHON_NOTE(`python${v}`) },
    ]),
  ),
};

/** Every runtime name a config, the API or the CLI accepts: Verge's own, then AWS's. */
export const RUNTIME_NAMES: readonly string[] = [...FUNCTION_RUNTIMES, ...Object.keys(AWS_RUNTIMES)];

/** The runtime Verge runs for `name` (its own kinds and AWS's identifiers); undefined when unknown. */
export function runtimeFor(name: string): RuntimeMapping | undefined {
  if ((FUNCTION_RUNTIMES as readonly string[]).includes(name)) return { runtime: name as FunctionRuntimeKind };
  return Object.hasOwn(AWS_RUNTIMES, name) ? AWS_RUNTIMES[name] : undefined;
}

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
  /** Set when the runtime asked for (an AWS identifier) is not the version Verge runs. */
  runtimeNote?: string;
}

/**
 * Apply the defaults: runtime `python` for `.py`, else `nodejs` (an AWS runtime identifier maps
 * to Verge's runtime, with a note when the version differs); handler `<basename>.handler`
 * for a single file, `index.handler` for a folder or .zip; name = file name without extension.
 */
export function resolveFunction(f: string | FunctionConfig): ResolvedFunction {
  const o = functionObject(f);
  const { stem, ext } = splitName(o.path);
  const singleFile = FILE_EXTENSIONS.includes(ext);
  const mapped = o.runtime === undefined ? undefined : runtimeFor(o.runtime);
  // An unknown name passes through unchanged, for the caller's validation to name it.
  const asked = o.runtime as FunctionRuntimeKind | undefined;
  const runtime = mapped?.runtime ?? asked ?? (ext === '.py' ? 'python' : DEFAULTS.functionRuntime);
  const handler = o.handler ?? (singleFile ? `${stem}.handler` : DEFAULTS.folderHandler);
  const note = mapped?.note ? { runtimeNote: mapped.note } : {};
  return { path: o.path, runtime, handler, name: o.name ?? stem, singleFile, ...note };
}

/** The extension fits the runtime (`.py` ↔ python); folders and .zip fit any runtime. */
export function extensionFitsRuntime(path: string, runtime: FunctionRuntimeKind): boolean {
  const { ext } = splitName(path);
  if (!FILE_EXTENSIONS.includes(ext)) return true;
  return (ext === '.py') === (runtime === 'python');
}

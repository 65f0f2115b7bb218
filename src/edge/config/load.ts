/**
 * @module edge/config/load
 * Static mode's config loader: read distribution config files, validate them all, check that the
 * files they name (function code, buckets, KeyValueStore data) exist, and compile one EdgePlan.
 * All or nothing: it returns a whole plan or throws one VergeError listing every problem, so a
 * bad edit never half-applies.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { functionObject } from '../../shared/config/functions.js';
import type { ConfigProblem, DistributionConfig } from '../../shared/config/types.js';
import { validateDistribution } from '../../shared/config/validate.js';
import { VergeError } from '../../shared/errors.js';
import { compilePlan } from './compile.js';
import { jsonErrorOffset, lineColumn } from './json-position.js';
import type { EdgePlan } from './plan.js';

export interface LoadedConfig {
  /** The absolute path of the file. */
  file: string;
  /** The folder relative paths in the config resolve against. */
  baseDir: string;
  config: DistributionConfig;
}

export interface FileProblem extends ConfigProblem {
  file: string;
}

export async function loadConfigFiles(paths: readonly string[]): Promise<{ plan: EdgePlan; configs: LoadedConfig[] }> {
  const parsed: Array<{ file: string; json: unknown }> = [];
  for (const p of paths) {
    const file = resolve(p);
    parsed.push({ file, json: await readJson(file) });
  }
  const problems: FileProblem[] = [];
  const configs: LoadedConfig[] = [];
  const ids = new Map<string, string>();
  for (const { file, json } of parsed) {
    const r = validateDistribution(json);
    if (!r.ok) {
      problems.push(...r.problems.map((x) => ({ file, ...x })));
      continue;
    }
    const loaded = { file, baseDir: dirname(file), config: r.config };
    const other = ids.get(r.config.id);
    if (other !== undefined)
      problems.push({
        file,
        path: '$.id',
        message: `distribution id ${JSON.stringify(r.config.id)} is already used by ${other}`,
      });
    ids.set(r.config.id, file);
    problems.push(...(await checkReferencedFiles(loaded)));
    configs.push(loaded);
  }
  if (problems.length > 0) {
    const lines = problems.map((x) => `${x.file}: ${x.path}: ${x.message}`);
    const n = problems.length;
    throw new VergeError(
      'CONFIG_INVALID',
      `${n} problem${n === 1 ? '' : 's'} in distribution config:\n${lines.join('\n')}`,
      { details: { problems } },
    );
  }
  return { plan: compilePlan(configs), configs };
}

/** Read and parse one file; CONFIG_UNREADABLE names the file and, for JSON errors, line and column. */
export async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new VergeError('CONFIG_UNREADABLE', `cannot read config file ${file}: ${reason}`, {
      cause: e,
      details: { file },
    });
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const msg = (e as Error).message;
    const found = jsonErrorOffset(text);
    const pos = found < 0 ? text.length : found;
    const { line, column } = lineColumn(text, pos);
    throw new VergeError('CONFIG_UNREADABLE', `${file}:${line}:${column}: not valid JSON (${msg})`, {
      cause: e,
      details: { file, position: pos, line, column },
    });
  }
}

/** Function code, bucket folders and KVS files must exist; paths resolve against the file's folder. */
async function checkReferencedFiles(c: LoadedConfig): Promise<FileProblem[]> {
  const out: FileProblem[] = [];
  const check = async (rel: string, path: string, want: 'any' | 'dir' | 'file', what: string) => {
    const abs = resolve(c.baseDir, rel);
    const s = await stat(abs).catch(() => undefined);
    if (!s) out.push({ file: c.file, path, message: `${what} ${abs} does not exist` });
    else if (want === 'dir' && !s.isDirectory())
      out.push({ file: c.file, path, message: `${what} ${abs} is not a directory` });
    else if (want === 'file' && !s.isFile()) out.push({ file: c.file, path, message: `${what} ${abs} is not a file` });
  };
  for (const [i, o] of c.config.origins.entries()) {
    if (o.bucket) await check(o.bucket.path, `$.origins[${i}].bucket.path`, 'dir', 'bucket directory');
  }
  const behaviors = [
    { path: '$.defaultCacheBehavior', b: c.config.defaultCacheBehavior },
    ...(c.config.cacheBehaviors ?? []).map((b, i) => ({ path: `$.cacheBehaviors[${i}]`, b })),
  ];
  for (const { path, b } of behaviors) {
    for (const [j, a] of (b.functionAssociations ?? []).entries()) {
      const ap = `${path}.functionAssociations[${j}].function`;
      const f = functionObject(a.function);
      await check(f.path, typeof a.function === 'string' ? ap : `${ap}.path`, 'any', 'function code');
      if (f.kvs?.path !== undefined) await check(f.kvs.path, `${ap}.kvs.path`, 'file', 'KeyValueStore file');
    }
  }
  return out;
}

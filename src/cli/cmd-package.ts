/**
 * @module cli/cmd-package
 * Turning `--code PATH` (a file, a folder or a .zip) into the API's `code` body, and a content
 * digest of a package so `verge apply` can tell whether code changed: sha256 over the sorted
 * (path, bytes) pairs, computed the same way for the local folder and for the package the
 * control plane returns (`GET /functions/{name}/code`), so it does not depend on zip metadata.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { strToU8, unzipSync, zipSync } from 'fflate';
import type { CodeInput, FunctionCode } from '../client/index.js';
import { UsageError } from './args.js';

export interface LocalPackage {
  code: CodeInput;
  files: Map<string, Uint8Array>;
  digest: string;
}

/** Folders that never belong in a function package. */
const SKIP = new Set(['.git', '.DS_Store', '.verge']);
const MAX_FILES = 20_000;

export function digestFiles(files: Map<string, Uint8Array>): string {
  const h = createHash('sha256');
  for (const path of [...files.keys()].sort()) {
    const data = files.get(path)!;
    h.update(`${path}\0${data.length}\0`);
    h.update(data);
  }
  return h.digest('hex');
}

async function walk(root: string, dir: string, out: Map<string, Uint8Array>): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const abs = join(dir, entry.name);
    if (entry.isDirectory()) await walk(root, abs, out);
    else if (entry.isFile()) {
      if (out.size >= MAX_FILES)
        throw new UsageError(`${root} has more than ${MAX_FILES} files; is it the right folder?`);
      out.set(relative(root, abs).split(sep).join('/'), await readFile(abs));
    }
  }
}

function unzipFiles(zip: Uint8Array): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const [name, data] of Object.entries(unzipSync(zip))) if (!name.endsWith('/')) out.set(name, data);
  return out;
}

/** Read a package from disk as the API's `code` plus its digest. */
export async function readPackage(path: string): Promise<LocalPackage> {
  let st;
  try {
    st = await stat(path);
  } catch {
    throw new UsageError(`--code ${path}: no such file or folder`);
  }
  if (st.isDirectory()) {
    const files = new Map<string, Uint8Array>();
    await walk(path, path, files);
    if (files.size === 0) throw new UsageError(`--code ${path}: the folder is empty`);
    // A fixed mtime keeps the zip identical for identical content.
    const zip = zipSync(
      Object.fromEntries([...files].map(([p, d]) => [p, [d, { mtime: new Date(Date.UTC(2000, 0, 1)) }]])),
      { level: 6 },
    );
    return { code: { zipBase64: Buffer.from(zip).toString('base64') }, files, digest: digestFiles(files) };
  }
  const data = await readFile(path);
  if (path.toLowerCase().endsWith('.zip')) {
    let files: Map<string, Uint8Array>;
    try {
      files = unzipFiles(data);
    } catch (e) {
      throw new UsageError(`--code ${path}: not a readable zip (${(e as Error).message})`);
    }
    return { code: { zipBase64: data.toString('base64') }, files, digest: digestFiles(files) };
  }
  const filename = basename(path);
  return {
    code: { source: data.toString('utf8'), filename },
    files: new Map([[filename, new Uint8Array(data)]]),
    digest: digestFiles(new Map([[filename, data]])),
  };
}

/** The digest of a package as the control plane returns it. */
export function remoteDigest(code: Pick<FunctionCode, 'files' | 'zipBase64'>): string {
  if (code.zipBase64) return digestFiles(unzipFiles(Buffer.from(code.zipBase64, 'base64')));
  return digestFiles(new Map(Object.entries(code.files ?? {}).map(([p, t]) => [p, strToU8(t)])));
}

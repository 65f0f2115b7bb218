/**
 * @module runtime/host/guest-code
 * The guest runtime (src/runtime/guest, code that runs INSIDE the isolate and is never imported
 * by host code) as one script whose completion value is the guest module's exports (`init`,
 * `invoke`, ...). The built CLI reads it from dist/runtime/guest-prebuilt/runtime.js, which
 * `npm run build` writes (scripts/build.mjs calls buildGuestSource); run from source (tests,
 * tsx), esbuild builds it once per process. `VERGE_GUEST_DEBUG=1` always builds it from the
 * sources, unminified (readable stacks of runtime internals).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

let cached: Promise<string> | undefined;

/** Where `npm run build` puts the prebuilt guest (beside this file's folder in dist/). */
export const PREBUILT_GUEST = fileURLToPath(new URL('../guest-prebuilt/runtime.js', import.meta.url));

function guestEntry(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '../guest/index.ts')];
  // When running from a compiled dist/, the guest sources stay under src/.
  let dir = here;
  for (let i = 0; i < 8; i++) {
    candidates.push(join(dir, 'src/runtime/guest/index.ts'));
    dir = resolve(dir, '..');
  }
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error('guest runtime sources (src/runtime/guest/index.ts) not found');
  return found;
}

/** Bundles the guest runtime from its sources with esbuild (the build step, or a run from source). */
export async function buildGuestSource(minify = process.env.VERGE_GUEST_DEBUG !== '1'): Promise<string> {
  const { build } = await import('esbuild');
  const out = await build({
    entryPoints: [guestEntry()],
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'neutral',
    target: 'es2022',
    minify,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const code = out.outputFiles[0]!.text;
  return `(function(){var module={exports:{}},exports=module.exports;\n${code}\nreturn (function(e){var o={};for(var k in e)o[k]=e[k];return o;})(module.exports);})()`;
}

async function load(): Promise<string> {
  if (process.env.VERGE_GUEST_DEBUG !== '1' && existsSync(PREBUILT_GUEST)) return readFileSync(PREBUILT_GUEST, 'utf8');
  return buildGuestSource();
}

/** The guest runtime script (read or built on first use, then cached for the process). */
export function guestRuntimeSource(): Promise<string> {
  cached ??= load().catch((e: unknown) => {
    cached = undefined;
    throw e;
  });
  return cached;
}

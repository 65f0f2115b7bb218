/**
 * @module runtime/host/guest-code
 * Builds the guest runtime (src/runtime/guest, code that runs INSIDE the isolate and is never
 * imported by host code) into one script with esbuild, once per process. The script's
 * completion value is the guest module's exports (`init`, `invoke`, ...).
 * `VERGE_GUEST_DEBUG=1` builds it unminified (readable stacks of runtime internals).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';

let cached: Promise<string> | undefined;

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

async function buildGuest(): Promise<string> {
  const out = await build({
    entryPoints: [guestEntry()],
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'neutral',
    target: 'es2022',
    minify: process.env.VERGE_GUEST_DEBUG !== '1',
    legalComments: 'none',
    logLevel: 'silent',
  });
  const code = out.outputFiles[0]!.text;
  return `(function(){var module={exports:{}},exports=module.exports;\n${code}\nreturn (function(e){var o={};for(var k in e)o[k]=e[k];return o;})(module.exports);})()`;
}

/** The guest runtime script (built on first use, then cached for the process). */
export function guestRuntimeSource(): Promise<string> {
  cached ??= buildGuest().catch((e: unknown) => {
    cached = undefined;
    throw e;
  });
  return cached;
}

#!/usr/bin/env -S node --no-node-snapshot
// The `verge` executable: runs the built CLI in dist/ (`npm run build`, which `npm install` runs).
// VERGE_FROM_SOURCE=1 runs src/ through tsx instead (the tests do, so they need no build).
// isolated-vm wants Node started with --no-node-snapshot; when a command that runs functions was
// started without it (e.g. `node bin/verge.js up`), re-run Node with the flag.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Commands that may create isolates; the others (help, API commands) run as they were started. */
const ISOLATES = new Set(['up', 'edge', 'dev', 'invoke', 'control']);
const fromSource = process.env.VERGE_FROM_SOURCE === '1';
const built = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

if (!process.execArgv.includes('--no-node-snapshot') && ISOLATES.has(process.argv[2] ?? '')) {
  const child = spawn(
    process.execPath,
    ['--no-node-snapshot', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 2 : 1)));
} else if (fromSource) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
} else if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  process.stderr.write(
    `verge: the built CLI is missing (${built}).\n` +
      'Run `npm run build` in the Verge folder (`npm install` runs it), or set VERGE_FROM_SOURCE=1 to run src/ through tsx.\n',
  );
  process.exitCode = 1;
}

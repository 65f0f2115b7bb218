/**
 * @module test/scenarios/python-kit
 * Shared by the Python scenario tests: whether Python functions can run here at all (the pyodide
 * package is installed and the node permission model is available); the sandbox's optional layers
 * (unshare -n, prlimit) are reported but do not skip.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

/** A reason to skip, or false. */
export function pythonSkipReason(): string | false {
  try {
    createRequire(import.meta.url).resolve('pyodide/package.json');
  } catch {
    return 'pyodide is not installed (npm install pyodide@314.0.7)';
  }
  const r = spawnSync(process.execPath, ['--experimental-permission', '--no-warnings', '-e', '0'], { stdio: 'ignore' });
  if (r.status !== 0) return 'node --experimental-permission is not available here';
  return false;
}

/** True when interpreters get their own network namespace (the raw-socket test needs it). */
export function hasUnshare(): boolean {
  return spawnSync('unshare', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
}

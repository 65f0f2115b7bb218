/**
 * @module test/scenarios/python-kit
 * Shared by the Python tests: whether Python functions can run here at all (the pyodide package
 * is installed, the node permission model is available, and the sandbox may start: it refuses to
 * without a network namespace unless VERGE_PYTHON_UNSAFE_HOST_NETWORK=1). What is missing skips
 * outside CI and fails under CI (test/harness/needs.ts).
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { hostNetworkAllowed, UNSAFE_HOST_NETWORK } from '../../src/runtime/python/sandbox.js';
import { needs } from '../harness/needs.js';

/** Why Python functions cannot run here, or false. */
export function pythonMissing(): string | false {
  try {
    createRequire(import.meta.url).resolve('pyodide/package.json');
  } catch {
    return 'pyodide is not installed (npm install pyodide@314.0.7)';
  }
  const r = spawnSync(process.execPath, ['--experimental-permission', '--no-warnings', '-e', '0'], { stdio: 'ignore' });
  if (r.status !== 0) return 'node --experimental-permission is not available here';
  if (!hasUnshare() && !hostNetworkAllowed())
    return (
      'unshare -n is not permitted here, and the Python sandbox refuses to start without a network namespace ' +
      `(allow unshare, or set ${UNSAFE_HOST_NETWORK}=1 to run interpreters on the host network)`
    );
  return false;
}

/** The `skip` option for a Python test or suite (registers a failure under CI; see needs()). */
export function pythonSkipReason(): string | false {
  return needs(pythonMissing());
}

/** True when interpreters get their own network namespace (the raw-socket test needs it). */
export function hasUnshare(): boolean {
  return spawnSync('unshare', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
}

/**
 * @module test/harness/needs
 * The one place a test says it needs something from the machine (a Debian package, a permission,
 * a built artifact). Outside CI a missing need skips the test or suite with a message naming it;
 * under CI (`CI=true`, which `.ci/run` sets) it fails instead, naming the same thing, so a green
 * CI run cannot hide a suite that never ran. scripts/test.mjs backs this up: under CI it also
 * fails a run with any skipped test, or with a file where no test ran.
 *
 *   describe('HTTPS', { skip: needs(missingCommand('openssl', 'openssl')) }, () => { ... });
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { test } from 'node:test';

/** True under CI: `CI` set to `true`, `1` or `yes` (GitHub, GitLab and `.ci/run` set `CI=true`). */
export function underCI(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(true|1|yes)$/i.test(env.CI ?? '');
}

const reported = new Set<string>();

/**
 * The `skip` option for a test or describe that needs something. `missing` is false when the need
 * is met, else the reason it is not, naming what is missing and how to get it. Outside CI the
 * reason skips; under CI a failing test with that reason is registered (once per reason and file)
 * and the suite itself is skipped, so its tests do not fail again with less helpful errors.
 */
export function needs(missing: string | false | undefined): string | false {
  if (!missing) return false;
  if (underCI() && !reported.has(missing)) {
    reported.add(missing);
    test(`needs: ${missing}`, () => {
      throw new Error(`${missing} (under CI a missing requirement fails the run instead of skipping)`);
    });
  }
  return missing;
}

/** The path of `command` on PATH (an executable regular file), or undefined. */
export function onPath(command: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, command);
    try {
      if (!statSync(p).isFile()) continue;
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** False when `command` is on PATH, else `<command> is not installed (Debian package "<pkg>")`. */
export function missingCommand(command: string, debianPackage: string, why = ''): string | false {
  if (onPath(command)) return false;
  return `${command} is not installed (Debian package "${debianPackage}")${why ? `; ${why}` : ''}`;
}

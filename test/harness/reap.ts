/**
 * @module test/harness/reap
 * Long-lived child processes a test file starts (`verge up` and the PoPs it supervises) must not
 * outlive the file. A file's own `after()` stops them, but when the runner cancels a file that ran
 * past its budget it kills the file's process and no hook runs: the children then kept running,
 * holding ports and CPU for the rest of the suite. `reapOnExit` starts nothing; it remembers the
 * child, which must have been spawned with `detached: true` (its own process group, which its
 * PoPs inherit), and kills that whole group when this process exits or is told to stop.
 */
import type { ChildProcess } from 'node:child_process';

const groups = new Set<number>();
let installed = false;

function killAll(): void {
  for (const pid of groups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  groups.clear();
}

export function reapOnExit(child: ChildProcess): void {
  if (child.pid === undefined) return;
  const pid = child.pid;
  groups.add(pid);
  child.once('exit', () => groups.delete(pid));
  if (installed) return;
  installed = true;
  process.once('exit', killAll);
  for (const sig of ['SIGTERM', 'SIGINT'] as const)
    process.once(sig, () => {
      killAll();
      process.exit(128 + (sig === 'SIGTERM' ? 15 : 2));
    });
}

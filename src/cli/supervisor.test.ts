/**
 * Supervisor with real `verge` children: a child that keeps failing is restarted with growing
 * delays and says so; a running edge killed from outside is restarted; stopAll ends them all
 * and writes each child's output to its log file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Supervisor } from './supervisor.js';

const DEMO = fileURLToPath(new URL('../../examples/demo/distribution.json', import.meta.url));

// A bound on waiting, not a speed check: each restart is a whole `verge` process start, and at the
// load CI sometimes runs under (load average 20 on 2 cores) three of them took more than 20 s.
const until = async (what: string, cond: () => boolean, ms = 90_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('a failing child is restarted with backoff and the restarts are announced', async () => {
  const lines: string[] = [];
  const logDir = mkdtempSync(join(tmpdir(), 'verge-sup-'));
  const s = new Supervisor({ logDir, print: (l) => lines.push(l), backoffMs: { initial: 100, max: 400 } });
  s.start({ name: 'broken', args: ['edge'] }); // no --config: a usage error, exit code 2
  await until('two restarts', () => s.restarts('broken') >= 2);
  await s.stopAll();
  const restarts = lines.filter((l) => l.startsWith('[broken] exited with code 2; restarting in'));
  assert.ok(restarts.length >= 2);
  assert.match(restarts[0]!, /restarting in 0\.1 s$/);
  assert.match(restarts[1]!, /restarting in 0\.2 s$/);
  // The child's usage message reached both the terminal (not JSON) and the log file.
  assert.ok(lines.some((l) => l.includes('[broken] verge edge: verge edge needs at least one --config FILE')));
  assert.match(readFileSync(join(logDir, 'broken.log'), 'utf8'), /needs at least one --config FILE/);
});

test('an edge killed from outside is restarted; stopAll stops it', async () => {
  const lines: string[] = [];
  const s = new Supervisor({
    logDir: mkdtempSync(join(tmpdir(), 'verge-sup-')),
    print: (l) => lines.push(l),
    backoffMs: { initial: 100, max: 400 },
  });
  s.start({
    name: 'edge1',
    args: [
      'edge',
      '--config',
      DEMO,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--admin-port',
      '0',
      '--access-log',
      'off',
      '--workers',
      '1',
    ],
  });
  await until('the edge serving', () => lines.some((l) => l.startsWith('[edge1] viewers')));
  const first = s.pids().edge1!;
  process.kill(first, 'SIGKILL');
  await until(
    'a restart',
    () =>
      s.pids().edge1 !== null &&
      s.pids().edge1 !== first &&
      lines.filter((l) => l.startsWith('[edge1] viewers')).length >= 2,
  );
  assert.ok(lines.includes('[edge1] killed by SIGKILL; restarting in 0.1 s'));
  const second = s.pids().edge1!;
  await s.stopAll();
  assert.equal(alive(second), false);
  assert.equal(s.restarts('edge1'), 1);
});

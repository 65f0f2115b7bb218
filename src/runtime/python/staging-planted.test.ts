/**
 * End to end, as another local user would attack a root-run Verge: plant `$TMPDIR/verge-0` (owned
 * by uid 65534, with a `runner.mjs` inside) before Verge first runs a Python function. `verge
 * invoke` refuses to load the function, naming the folder and what is wrong, and never runs what
 * was planted (the planted runner would write a marker file).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { needs } from '../../../test/harness/needs.js';
import { pythonSkipReason } from '../../../test/scenarios/python-kit.js';

// bin/verge.js runs src/ through tsx, like this test (no build needed).
process.env.VERGE_FROM_SOURCE = '1';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const skip =
  pythonSkipReason() || needs(process.getuid?.() === 0 ? false : 'root (planting as another uid needs chown)');

test('a staging folder planted by another user is refused; nothing in it runs', { skip }, () => {
  const base = mkdtempSync(join(tmpdir(), 'verge-plant-'));
  chmodSync(base, 0o1777);
  const planted = join(base, 'verge-0');
  const marker = join(base, 'ran');
  mkdirSync(join(planted, 'pyodide', 'stage-x', 'guest'), { recursive: true });
  for (const p of [join(planted, 'pyodide', 'stage-x', 'guest', 'runner.mjs'), join(planted, 'pyodide', 'x.snap')])
    writeFileSync(p, `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`);
  spawnSync('chown', ['-R', '65534:65534', planted]);
  chownSync(planted, 65534, 65534);
  chmodSync(planted, 0o777);
  const fn = join(base, 'index.py');
  writeFileSync(fn, 'def handler(event, context):\n    return event["Records"][0]["cf"]["request"]\n');
  chmodSync(fn, 0o644);
  const r = spawnSync(
    process.execPath,
    ['--no-node-snapshot', join(ROOT, 'bin/verge.js'), 'invoke', fn, '--event', 'viewer-request'],
    { env: { ...process.env, TMPDIR: base }, encoding: 'utf8', timeout: 60_000 },
  );
  assert.notEqual(r.status, 0, r.stdout);
  assert.match(r.stderr, new RegExp(`${planted} is owned by uid 65534, not by uid 0`));
  assert.match(r.stderr, /Verge will not use it/);
  assert.equal(existsSync(marker), false, 'nothing planted ran');
});

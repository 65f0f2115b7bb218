// The `verge` CLI against an in-process control plane (no edges): what the tables show for
// functions and their versions, and removing a PoP that is gone for good. Each command is the
// real executable (`bin/verge.js`) with VERGE_URL / VERGE_TOKEN, bounded in time.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestControl, taggingSource, type TestControl } from '../../src/control/testing/harness.js';

const BIN = fileURLToPath(new URL('../../bin/verge.js', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the CLI over the control plane API', () => {
  let t: TestControl;
  const verge = (args: string[]): Promise<Run> =>
    new Promise((resolve, reject) => {
      const env = {
        ...process.env,
        VERGE_URL: t.control.url,
        VERGE_TOKEN: t.adminToken,
        VERGE_CONFIG: join(t.dir, 'no-profile.json'),
      };
      const child = spawn(process.execPath, ['--no-node-snapshot', BIN, ...args], { env, stdio: 'pipe' });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`verge ${args.join(' ')} did not finish in 60 s\n${stdout}\n${stderr}`));
      }, 60_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? 1, stdout, stderr });
      });
    });

  before(async () => {
    t = await startTestControl();
  });
  after(() => t.close());

  test('functions list shows each function’s version count and latest version', async () => {
    for (const name of ['alpha', 'beta'])
      await t.api('POST', '/functions', { name, runtime: 'nodejs', code: { source: taggingSource(name) } });
    await t.api('POST', '/functions/alpha/publish');
    await t.api('POST', '/functions/alpha/publish');
    const r = await verge(['functions', 'list']);
    assert.equal(r.code, 0, r.stderr);
    const row = (name: string) => r.stdout.split('\n').find((l) => l.startsWith(name + ' '));
    assert.match(row('alpha') ?? '', /\s2 \(latest v2\)\s/);
    assert.match(row('beta') ?? '', /\s0\s/);
    assert.match(r.stdout.split('\n')[0]!, /VERSIONS/);
  });
});

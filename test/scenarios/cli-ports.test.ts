/**
 * A taken port is one line on stderr naming the port and the flag that changes it (exit code 1),
 * not Node's EADDRINUSE stack trace: `verge edge` (viewer and admin ports), `verge control` and
 * `verge up`, each run as the real executable.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../harness/ports.js';

const BIN = fileURLToPath(new URL('../../bin/verge.js', import.meta.url));
// The CLI from src/ through tsx, like this test (no build needed).
process.env.VERGE_FROM_SOURCE = '1';
const DEMO = fileURLToPath(new URL('../../examples/demo/distribution.json', import.meta.url));

function verge(args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-node-snapshot', BIN, ...args], { stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`verge ${args.join(' ')} did not exit in 60 s\n${stdout}\n${stderr}`));
    }, 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

describe('a taken port', () => {
  let taken: number;
  let free: number[];
  let holder: Server;
  const dir = mkdtempSync(join(tmpdir(), 'verge-ports-'));

  before(async () => {
    const ports = await freePorts(8);
    taken = ports[0]!;
    free = ports.slice(1);
    holder = createServer();
    await new Promise<void>((r) => holder.listen(taken, '127.0.0.1', () => r()));
  });
  after(() => new Promise<void>((r) => holder.close(() => r())));

  const oneLine = (stderr: string, expected: string) => {
    assert.equal(stderr, expected + '\n');
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  };

  test('verge edge --port', async () => {
    const r = await verge(['edge', '--config', DEMO, '--host', '127.0.0.1', '--port', String(taken), '--admin-port', String(free[0]), '--access-log', 'off']); // prettier-ignore
    assert.equal(r.code, 1, r.stdout + r.stderr);
    oneLine(r.stderr, `verge edge: port ${taken} (viewers) is already in use on 127.0.0.1:${taken}; choose another with --port N`); // prettier-ignore
  });

  test('verge edge --admin-port', async () => {
    const r = await verge(['edge', '--config', DEMO, '--host', '127.0.0.1', '--port', String(free[0]), '--admin-port', String(taken), '--access-log', 'off']); // prettier-ignore
    assert.equal(r.code, 1, r.stdout + r.stderr);
    oneLine(r.stderr, `verge edge: port ${taken} (admin) is already in use on 127.0.0.1:${taken}; choose another with --admin-port N`); // prettier-ignore
  });

  test('verge control --port', async () => {
    const r = await verge(['control', '--port', String(taken), '--data-dir', join(dir, 'control')]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    oneLine(r.stderr, `verge control: port ${taken} is already in use on 127.0.0.1:${taken}; choose another with --port N`); // prettier-ignore
  });

  test('verge up --origin-port', async () => {
    const r = await verge(['up', '--data-dir', join(dir, 'up'), '--port', String(free[0]), '--edge-ports', `${free[1]},${free[2]},${free[0]}`, '--admin-ports', free.slice(3, 6).join(','), '--origin-port', String(taken)]); // prettier-ignore
    assert.equal(r.code, 1, r.stdout + r.stderr);
    // The first port given twice is found before the taken one.
    oneLine(r.stderr, `verge up: port ${free[0]} is given twice (--port N, control plane and console and --edge-ports A,B,C, PoP ap-south-1); choose another with --edge-ports A,B,C`); // prettier-ignore
    const r2 = await verge(['up', '--data-dir', join(dir, 'up'), '--port', String(free[0]), '--edge-ports', `${free[1]},${free[2]},${free[6]}`, '--admin-ports', free.slice(3, 6).join(','), '--origin-port', String(taken)]); // prettier-ignore
    assert.equal(r2.code, 1, r2.stdout + r2.stderr);
    oneLine(r2.stderr, `verge up: port ${taken} (demo origin) is already in use on 127.0.0.1:${taken}; choose another with --origin-port N`); // prettier-ignore
  });
});

/**
 * @module runtime/python/sandbox-network.test
 * The Python sandbox refuses to start without a network namespace (an interpreter could reach the
 * host's ports through Pyodide's socket emulation) unless the operator opts out with
 * VERGE_PYTHON_UNSAFE_HOST_NETWORK=1; end to end, a host where `unshare` fails gets a load error
 * naming it, not an interpreter on the host network.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VergeError } from '../../shared/errors.js';
import { sandboxPrefix, UNSAFE_HOST_NETWORK, type SandboxCaps } from './sandbox.js';

const ALL: SandboxCaps = { unshare: true, prlimit: true, setpriv: true, unshareSetuid: true };
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

test('without unshare -n the sandbox refuses, naming unshare and the opt-out', () => {
  assert.throws(
    () => sandboxPrefix({ ...ALL, unshare: false, unshareSetuid: false }, 100, {}),
    (e: unknown) =>
      e instanceof VergeError &&
      e.code === 'FUNCTION_LOAD_ERROR' &&
      /unshare -n is not permitted/.test(e.message) &&
      e.message.includes(`${UNSAFE_HOST_NETWORK}=1`),
  );
  // Anything but exactly "1" is not an opt-out.
  assert.throws(() => sandboxPrefix({ ...ALL, unshare: false }, 100, { [UNSAFE_HOST_NETWORK]: 'yes' }));
});

test('the opt-out keeps the other layers; with unshare the interpreter gets its own namespace', () => {
  const optOut = sandboxPrefix({ ...ALL, unshare: false, unshareSetuid: false }, 100, { [UNSAFE_HOST_NETWORK]: '1' });
  assert.deepEqual(optOut, [
    'prlimit',
    `--data=${100 * 1024 * 1024}`,
    '--',
    'setpriv',
    '--reuid=65534',
    '--regid=65534',
    '--clear-groups',
    '--',
  ]);
  assert.deepEqual(sandboxPrefix({ ...ALL, setpriv: false, unshareSetuid: false }, 100, {}).slice(3), [
    'unshare',
    '-n',
  ]);
});

test('a host where unshare fails: loading a Python function fails with the reason', () => {
  const bin = mkdtempSync(join(tmpdir(), 'verge-no-unshare-'));
  try {
    // An `unshare` that fails the way a container without CAP_SYS_ADMIN makes it fail.
    writeFileSync(
      join(bin, 'unshare'),
      '#!/bin/sh\necho "unshare: unshare failed: Operation not permitted" >&2\nexit 1\n',
    );
    chmodSync(join(bin, 'unshare'), 0o755);
    const script = `
      import { createPythonRuntime } from './src/runtime/python/index.ts';
      const rt = createPythonRuntime({ spares: 0 });
      const source = { id: 'n', name: 'n', version: '1', runtime: 'python', handler: 'index.handler',
        code: { files: { 'index.py': 'def handler(event, context):\\n    return event' } } };
      try {
        await rt.load(source, { eventTypes: ['viewer-request'] });
        console.log(JSON.stringify({ loaded: true }));
      } catch (e) {
        console.log(JSON.stringify({ code: e.code, message: e.message }));
      }
      await rt.close();`;
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` };
    delete env[UNSAFE_HOST_NETWORK];
    delete env.NODE_TEST_CONTEXT;
    const r = spawnSync(
      process.execPath,
      ['--no-node-snapshot', '--import', 'tsx', '--input-type=module', '-e', script],
      {
        cwd: ROOT,
        env,
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { loaded?: boolean; code?: string; message?: string };
    assert.equal(out.loaded, undefined, 'the function must not load on the host network');
    assert.equal(out.code, 'FUNCTION_LOAD_ERROR');
    assert.match(out.message!, /failed to initialize: python sandbox: unshare -n is not permitted here/);
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
});

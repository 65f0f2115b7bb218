/**
 * @module test/scenarios/python-invoke.test
 * `verge invoke` runs Python functions: the real CLI process on an example's index.py (the
 * runtime comes from the .py extension), and runInvoke for the error shape.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runInvoke } from '../../src/cli/invoke-command.js';
import { pythonSkipReason } from './python-kit.js';

const skip = pythonSkipReason();
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// The CLI from src/ through tsx, like this test (no build needed).
process.env.VERGE_FROM_SOURCE = '1';

describe('verge invoke with a Python function', { skip }, () => {
  test('verge invoke examples/python/seo-rewrite/index.py --event viewer-request', () => {
    const r = spawnSync(
      process.execPath,
      [
        'bin/verge.js',
        'invoke',
        'examples/python/seo-rewrite/index.py',
        '--event',
        'viewer-request',
        '--url',
        '/about',
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 120_000 },
    );
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      result: { status: string; headers: Record<string, Array<{ value: string }>> };
      error: null;
    };
    assert.equal(out.error, null);
    assert.equal(out.result.status, '301');
    assert.equal(out.result.headers.location![0]!.value, '/about/');
  });

  test('a Python module that fails at init refuses to load, naming the Python error', async () => {
    await assert.rejects(
      runInvoke(`${ROOT}examples/python/auth-jwt/index.py`, {
        event: 'viewer-request',
        env: ['JWT_PUBLIC_KEY=not a key'],
      }),
      (e: Error & { code?: string }) =>
        e.code === 'FUNCTION_LOAD_ERROR' && /failed to initialize: .*Incorrect padding/.test(e.message),
    );
  });
});

/**
 * @module runtime/python/spares.test
 * The spare interpreters: up to the asked count are booted ahead of demand, a take hands out a
 * booted one (its process is the spare's), and taken interpreters answer events.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../shared/log.js';
import { pythonSkipReason } from '../../../test/scenarios/python-kit.js';
import type { Interpreter } from './interpreter.js';
import { BASE_DATA_MB } from './sandbox.js';
import { fillSpares, readySpares, releaseSpares, retainSpares, spareReady, takeInterpreter } from './spares.js';

// A data cap no other test file uses, so this file's spares are its own.
const DATA_MB = BASE_DATA_MB + 77;

test('two spares are booted ahead of demand and handed out as they are', { skip: pythonSkipReason() }, async () => {
  retainSpares(2);
  const taken: Interpreter[] = [];
  try {
    fillSpares(DATA_MB, silentLogger);
    await spareReady(DATA_MB);
    assert.equal(readySpares(DATA_MB), 2);
    taken.push(await takeInterpreter(DATA_MB, silentLogger));
    assert.equal(readySpares(DATA_MB), 1);
    taken.push(await takeInterpreter(DATA_MB, silentLogger));
    assert.equal(readySpares(DATA_MB), 0);
    assert.notEqual(taken[0]!.pid, taken[1]!.pid);
    const files = { 'index.py': new TextEncoder().encode('def handler(event, context):\n    return {"n": 1}\n') };
    const fetch = { timeoutMs: 1000, maxBytes: 1024 };
    for (const it of taken) {
      assert.equal(await it.init({ files, handler: 'index.handler', env: {}, fetch }, 30_000, () => {}), null);
      const meta = { awsRequestId: 'r', invokedFunctionArn: 'arn', logStreamName: 's' };
      assert.deepEqual(await it.invoke('{"Records": []}', meta, 30_000, () => {}), { kind: 'ok', json: '{"n": 1}' });
    }
  } finally {
    // Released before the delayed top-up fires: no replacement spare is booted.
    releaseSpares();
    for (const it of taken) it.kill();
  }
});

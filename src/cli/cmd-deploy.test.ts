/** `verge deploy --wait` giving up: the error names who is waited for and how to remove a PoP that is gone. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeploymentProgress } from '../client/index.js';
import { waitTimeout } from './cmd-deploy.js';

const progress = (pops: Array<[string, 'healthy' | 'stale' | 'down', 'applied' | 'waiting']>): DeploymentProgress => ({
  version: 7,
  reason: 'r',
  pops: pops.map(([id, health, state]) => ({ id, region: 'r', health, appliedVersion: 6, state })),
  done: false,
  failed: false,
});

describe('waitTimeout', () => {
  test('a silent PoP is named with its health and the command that removes it', () => {
    const e = waitTimeout(
      progress([
        ['us', 'healthy', 'applied'],
        ['eu', 'healthy', 'waiting'],
        ['ap', 'down', 'waiting'],
      ]),
      30,
    );
    assert.equal(e.code, 'WAIT_TIMEOUT');
    assert.match(e.message, /^v7 not applied after 30 s by eu, ap \(down\)/);
    assert.match(e.message, /`verge pops remove ap`/);
    assert.doesNotMatch(e.message, /remove eu|remove us/);
  });

  test('healthy PoPs that are only slow get no removal hint', () => {
    const e = waitTimeout(progress([['eu', 'healthy', 'waiting']]), 5);
    assert.doesNotMatch(e.message, /pops remove/);
  });
});

// docs/lifecycle.md must describe the same contract as src/shared/lambda-edge/contract.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CONTRACT, EVENT_TYPES } from '../../src/shared/lambda-edge/index.js';

const doc = readFileSync(new URL('../../docs/lifecycle.md', import.meta.url), 'utf8');

test('docs/lifecycle.md has one contract row per event that matches the contract table', () => {
  for (const ev of EVENT_TYPES) {
    const row = doc.split('\n').find((l) => l.startsWith(`| ${ev} |`));
    assert.ok(row, `no row for ${ev} in docs/lifecycle.md`);
    const cells = row
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    const c = CONTRACT[ev];
    assert.equal(cells[1], c.runs, `${ev}: "runs" differs`);
    assert.deepEqual(cells[2]!.split(', '), [...c.skippedWhen], `${ev}: skip conditions differ`);
    assert.equal(cells[3], c.generatedResponse, `${ev}: generated response rule differs`);
    assert.deepEqual(cells[4]!.split(', '), [...c.readOnlyHeaders], `${ev}: read-only headers differ`);
  }
});

// docs/lifecycle.md must describe the same contract as src/shared/lambda-edge/contract.ts, and the
// same steps and transitions as the viewer's and the fetch's step tables (src/edge/pipeline).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CONTRACT, EVENT_TYPES } from '../../src/shared/lambda-edge/index.js';
import { STEPS, TRANSITIONS } from '../../src/edge/pipeline/steps.js';
import { FETCH_STEPS, FETCH_TRANSITIONS } from '../../src/edge/pipeline/fetch-table.js';

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

/** The `| step | may go to |` rows of the table whose header cell is `heading`. */
function transitionTable(heading: string): Record<string, string[]> {
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`| ${heading} | may go to |`));
  assert.ok(start >= 0, `no "${heading}" table in docs/lifecycle.md`);
  const out: Record<string, string[]> = {};
  for (const l of lines.slice(start + 2)) {
    if (!l.startsWith('|')) break;
    const [step, next] = l
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    out[step!] = next!.split(', ');
  }
  return out;
}

test('docs/lifecycle.md lists the viewer steps and their transitions as steps.ts has them', () => {
  assert.deepEqual(transitionTable('viewer step'), toPlain(TRANSITIONS));
  assert.deepEqual(Object.keys(STEPS).sort(), Object.keys(TRANSITIONS).sort());
});

test('docs/lifecycle.md lists the fetch steps and their transitions as fetch-table.ts has them', () => {
  assert.deepEqual(transitionTable('fetch step'), toPlain(FETCH_TRANSITIONS));
  assert.deepEqual(Object.keys(FETCH_STEPS).sort(), Object.keys(FETCH_TRANSITIONS).sort());
});

function toPlain(t: Readonly<Record<string, readonly string[]>>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, [...v]]));
}

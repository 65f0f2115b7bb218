/**
 * Every command's --help text: a shell example split over lines keeps its backslash (in a
 * template literal `\` at a line's end joins the lines, and `verge triggers --help` printed
 * `--function auth:4            --canary ...` on one line), so it can be copied as printed.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));

describe('help texts', () => {
  test('no two lines of a help text were joined by a lost backslash', async () => {
    const helps: Array<[string, string]> = [];
    for (const f of readdirSync(dir).filter((n) => /^(cmd-.*|.*-command)\.ts$/.test(n) && !n.endsWith('.test.ts'))) {
      const m = (await import(`./${f}`)) as Record<string, unknown>;
      for (const [k, v] of Object.entries(m)) if (k.endsWith('_HELP') && typeof v === 'string') helps.push([k, v]);
    }
    assert.ok(
      helps.some(([k]) => k === 'TRIGGERS_HELP'),
      'found the help texts',
    );
    for (const [name, text] of helps)
      for (const line of text.split('\n'))
        assert.doesNotMatch(line, /\S {4,}--[a-z]/, `${name}: a flag after a run of spaces mid-line: ${line}`);
    const triggers = helps.find(([k]) => k === 'TRIGGERS_HELP')![1];
    assert.match(triggers, /--function auth:4 \\\n +--canary 10/);
  });
});

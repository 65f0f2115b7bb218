// docs/errors.md must list every error code of src/shared/errors.ts, and nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CODES } from '../../src/shared/errors.js';

test('docs/errors.md has a section for each registered error code and none extra', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const documented = [...doc.matchAll(/^## ([A-Z0-9_]+)\s*$/gm)].map((m) => m[1]);
  const registered = Object.keys(ERROR_CODES);
  assert.deepEqual(
    registered.filter((c) => !documented.includes(c)),
    [],
    'codes missing from docs/errors.md',
  );
  assert.deepEqual(
    documented.filter((c) => !registered.includes(c!)),
    [],
    'docs/errors.md documents codes that do not exist',
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { headerDiff } from './function-trace.js';

test('headerDiff names added, changed and removed headers, and nothing else', () => {
  const before = {
    host: [{ key: 'Host', value: 'a.example' }],
    cookie: [
      { key: 'Cookie', value: 'a=1' },
      { key: 'Cookie', value: 'b=2' },
    ],
    'x-gone': [{ key: 'X-Gone', value: '1' }],
  };
  const after = {
    host: [{ key: 'Host', value: 'a.example' }],
    cookie: [
      { key: 'Cookie', value: 'a=1' },
      { key: 'Cookie', value: 'b=3' },
    ],
    'x-new': [{ value: 'yes' }],
  };
  assert.deepEqual(headerDiff(before, after), { cookie: 'a=1, b=3', 'x-new': 'yes', 'x-gone': null });
  assert.deepEqual(headerDiff(before, before), {});
});

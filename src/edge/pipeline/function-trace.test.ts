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

test('headerDiff compares joined values: respelled keys, resplit values and empty lists are no change', () => {
  const before = {
    accept: [{ key: 'Accept', value: 'a, b' }],
    'x-one': [{ key: 'X-One', value: '1' }],
    'x-empty': [{ key: 'X-Empty', value: '' }],
  };
  const after = {
    accept: [
      { key: 'ACCEPT', value: 'a' },
      { key: 'ACCEPT', value: 'b' },
    ],
    'x-one': [{ key: 'x-one', value: '1' }],
    'x-empty': [],
    'x-none': [],
  };
  // An empty list reads as a removed header; an empty value is still a value.
  assert.deepEqual(headerDiff(before, after), { 'x-empty': null });
  assert.deepEqual(headerDiff(after, before), { 'x-empty': '' });
});

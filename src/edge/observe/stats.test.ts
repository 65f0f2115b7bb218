/**
 * @module edge/observe/stats.test
 * Byte counters past 2^32 (issue 12: one 20 GiB response adds that much at once): the counter
 * adds them exactly and `/metrics` prints them as whole numbers, not wrapped or in exponent form.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EdgeStats } from './stats.js';

test('bytes sent past 2^32 add up exactly and render as whole numbers', () => {
  const s = new EdgeStats();
  const big = 20 * 2 ** 30 + 2 ** 20 + 7;
  s.bytesSent.inc({ distribution: 'd1' }, big);
  s.bytesSent.inc({ distribution: 'd1' }, 2 ** 32 + 1);
  s.bytesSent.inc({ distribution: 'd1' }, 1);
  assert.equal(s.bytesSent.get({ distribution: 'd1' }), big + 2 ** 32 + 2);
  assert.match(s.render(), /^verge_bytes_sent_total\{distribution="d1"\} 25770852361$/m);
});

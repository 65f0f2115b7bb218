/**
 * @module bench/lib/wrk.test
 * The wrk report parser on real wrk 4.1 output (Debian 12), including the error lines.
 * Run: node --import tsx --test bench/lib/wrk.test.ts
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { durationMs, parseWrk } from './wrk.js';

const REPORT = `Running 1s test @ http://127.0.0.1:19201/
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.51ms    5.27ms  36.10ms   90.53%
    Req/Sec    10.08k     3.67k   16.74k    70.00%
  Latency Distribution
     50%  565.00us
     75%    1.21ms
     90%    7.30ms
     99%   27.92ms
  10019 requests in 1.00s, 12.31MB read
Requests/sec:  10014.25
Transfer/sec:     12.30MB
`;

test('parses requests/s, totals and the latency distribution', () => {
  const r = parseWrk(REPORT);
  assert.equal(r.requestsPerSec, 10014.25);
  assert.equal(r.requests, 10019);
  assert.equal(r.p50Ms, 0.565);
  assert.equal(r.p90Ms, 7.3);
  assert.equal(r.p99Ms, 27.92);
  assert.equal(r.non2xx3xx, 0);
  assert.equal(r.socketErrors, 0);
});

test('counts non-2xx responses and socket errors', () => {
  const withErrors = REPORT.replace(
    'Requests/sec',
    '  Socket errors: connect 1, read 2, write 3, timeout 4\n  Non-2xx or 3xx responses: 17\nRequests/sec',
  );
  const r = parseWrk(withErrors);
  assert.equal(r.non2xx3xx, 17);
  assert.equal(r.socketErrors, 10);
});

test('refuses a report without --latency figures or without a rate', () => {
  assert.throws(() => parseWrk(REPORT.replace(/Latency Distribution[\s\S]*?99%\s+\S+\n/, '')), /no 50% latency/);
  assert.throws(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused'), /no requests\/s/);
});

test('converts wrk durations to milliseconds', () => {
  assert.equal(durationMs('812.00us'), 0.812);
  assert.equal(durationMs('1.52ms'), 1.52);
  assert.equal(durationMs('2.01s'), 2010);
  assert.throws(() => durationMs('fast'));
});

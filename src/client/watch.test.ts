/** Tests for the SSE line parser and for deployment progress (pure functions). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SseParser } from './sse.js';
import { progressOf } from './watch.js';
import type { Deployment, Distribution, Pop } from './types.js';

describe('SseParser', () => {
  test('joins data lines, names the event, ignores comments and data-less events', () => {
    const p = new SseParser();
    const out = [': c', 'event: log', 'data: a', 'data:b', 'id: 7', '', 'event: x', '', 'data: plain', ''].map((l) =>
      p.line(l),
    );
    const evs = out.filter((e) => e !== undefined);
    assert.deepEqual(evs, [
      { event: 'log', data: 'a\nb', id: '7' },
      { event: 'message', data: 'plain', id: '7' },
    ]);
  });
});

/** What the API sends as an acknowledgement's time (ISO 8601). */
const T1 = '1970-01-01T00:00:00.001Z';

describe('progressOf', () => {
  const pops: Pop[] = [
    { id: 'us', region: 'us-east', appliedVersion: 5, health: 'healthy' },
    { id: 'eu', region: 'eu-west', appliedVersion: 4, health: 'healthy' },
    { id: 'ap', region: 'ap-south', appliedVersion: 3, health: 'down' },
  ].map((p) => ({ ...p, location: null, edgeVersion: '', lastSeen: '', connected: false }) as Pop);
  const dep = (acks: Deployment['acks']): Deployment => ({
    version: 5,
    createdAt: '',
    reason: 'r',
    checksum: 'c',
    acks,
    pending: [],
  });

  test('a PoP is applied when it acknowledged or serves a later snapshot; others wait', () => {
    const p = progressOf(dep({ eu: { ok: true, at: T1 } }), pops);
    assert.deepEqual(
      p.pops.map((x) => [x.id, x.state]),
      [
        ['us', 'applied'],
        ['eu', 'applied'],
        ['ap', 'waiting'],
      ],
    );
    assert.equal(p.done, false);
    assert.equal(p.failed, false);
  });

  test('a refused snapshot is a failure carrying its reason', () => {
    const p = progressOf(dep({ ap: { ok: false, at: T1, error: 'bad hash' } }), pops);
    assert.equal(p.failed, true);
    assert.equal(p.pops[2]!.error, 'bad hash');
  });

  test('with a distribution, done needs Deployed and pending PoPs wait', () => {
    const all = dep({ us: { ok: true, at: T1 }, eu: { ok: true, at: T1 }, ap: { ok: true, at: T1 } });
    const d = (status: Distribution['status'], pending: string[]) => ({
      id: 'demo',
      config: {} as Distribution['config'],
      status,
      pending,
      statusText: status,
      snapshot: 5,
      generation: 5,
      pops: {},
      lastModified: '',
      etag: '',
    });
    assert.equal(progressOf(all, pops).done, true);
    const p = progressOf(all, pops, d('InProgress', ['eu']));
    assert.equal(p.done, false);
    assert.equal(p.pops[1]!.state, 'waiting');
    assert.equal(progressOf(all, pops, d('Deployed', [])).done, true);
  });
});

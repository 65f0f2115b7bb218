/**
 * The pure parts of managed mode: the SSE parser (chunk boundaries, CRLF, comments, multi-line
 * data) and snapshot → plan (checksum, blob references, path rewriting, refusal of paths that
 * are not content-addressed).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DistributionConfig } from '../../shared/config/types.js';
import { PROTOCOL_VERSION, type Snapshot } from '../../shared/replication/protocol.js';
import {
  localizeDistributions,
  planFromSnapshot,
  snapshotChecksum,
  snapshotRefs,
  verifySnapshot,
} from './snapshot-plan.js';
import { SseParser } from './sse.js';

const A = 'a'.repeat(64);
const K = 'b'.repeat(64);

function snapshot(distributions: DistributionConfig[], version = 3): Snapshot {
  const body = {
    version,
    distributions,
    bundles: { [A]: { sha256: A, size: 10, name: 'auth', version: '4' } },
    kvs: { flags: { sha256: K, keyCount: 1, name: 'flags' } },
  };
  return {
    protocol: PROTOCOL_VERSION,
    createdAt: '2026-01-01T00:00:00Z',
    reason: 't',
    checksum: snapshotChecksum(body),
    ...body,
  };
}

const dist = (fn: unknown): DistributionConfig =>
  ({
    id: 'd',
    aliases: ['d.test'],
    origins: [{ id: 'o', domainName: '127.0.0.1', port: 9 }],
    defaultCacheBehavior: {
      targetOriginId: 'o',
      functionAssociations: [{ eventType: 'viewer-request', function: fn }],
    },
  }) as DistributionConfig;

const paths = {
  dataDir: '/data',
  bundlePath: (s: string) => `/data/bundles/${s}.zip`,
  kvsPath: (s: string) => `/data/kvs/${s}.json`,
};

describe('SseParser', () => {
  test('events split across chunks, CRLF and CR line ends, comments, multi-line data, default event name', () => {
    const p = new SseParser();
    const got = [
      ...p.push(': hello\n\nevent: snap'),
      ...p.push('shot\r\ndata: {"version":'),
      ...p.push('1}\r'),
      ...p.push('\n\r\ndata: a\ndata: b\nid: 7\n\n'),
      ...p.push('event: ping\n\n'),
    ];
    assert.deepEqual(got, [
      { event: 'snapshot', data: '{"version":1}' },
      { event: 'message', data: 'a\nb', id: '7' },
    ]);
  });

  test('a line longer than the limit throws (the caller reconnects)', () => {
    const p = new SseParser(16);
    assert.throws(() => p.push('data: ' + 'x'.repeat(32)), /longer than 16 bytes/);
  });
});

describe('snapshot → plan', () => {
  test('verifySnapshot accepts a matching checksum and refuses a changed document or another version', () => {
    const s = snapshot([dist({ path: `bundle:${A}`, name: 'auth', version: '4' })]);
    assert.equal(verifySnapshot(s, { version: 3, checksum: s.checksum }), s);
    assert.throws(() => verifySnapshot(s, { version: 4 }), /the document says version 3/);
    const changed = { ...s, distributions: [{ ...s.distributions[0]!, comment: 'x' }] };
    assert.throws(() => verifySnapshot(changed), /checksum mismatch/);
    assert.throws(() => verifySnapshot({ ...s, protocol: 2 }), /protocol 2/);
  });

  test('refs list every bundle and KVS blob; paths become local files; name and version come from the bundle table', () => {
    const s = snapshot([
      dist({ path: `bundle:${A}`, kvs: { id: 'flags', path: `kvs:${K}` }, runtime: 'cloudfront-js-2.0' }),
    ]);
    const refs = snapshotRefs(s);
    assert.deepEqual([...refs.bundles.keys()], [A]);
    assert.equal(refs.bundles.get(A)!.size, 10);
    assert.deepEqual([...refs.kvs.keys()], [K]);
    const [d] = localizeDistributions(s, paths);
    const f = d!.defaultCacheBehavior.functionAssociations![0]!.function;
    assert.deepEqual(f, {
      path: `/data/bundles/${A}.zip`,
      name: 'auth',
      version: '4',
      runtime: 'cloudfront-js-2.0',
      kvs: { id: 'flags', path: `/data/kvs/${K}.json` },
    });
    // The snapshot itself is untouched (it is persisted as received).
    assert.equal(
      (s.distributions[0]!.defaultCacheBehavior.functionAssociations![0]!.function as { path: string }).path,
      `bundle:${A}`,
    );
    const plan = planFromSnapshot(s, paths);
    const hook = plan.distributions[0]!.behaviors.at(-1)!.hooks['viewer-request']!;
    assert.equal(hook.source.name, 'auth');
    assert.equal(hook.source.version, '4');
    assert.deepEqual(hook.source.code, { path: `/data/bundles/${A}.zip` });
  });

  test('a function path that is not bundle:<sha256> is refused (a managed edge never reads its own disk for code)', () => {
    assert.throws(
      () => snapshotRefs(snapshot([dist({ path: '/etc/passwd.js' })])),
      /REPLICATION|not "bundle:<sha256>"/,
    );
    assert.throws(() => snapshotRefs(snapshot([dist({ path: 'bundle:../../x' })])), /is not a sha256/);
  });
});

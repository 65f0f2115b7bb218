/**
 * @module control/store/contract-outbox
 * The outbox part of the store contract (./contract.ts): rows commit and roll back with their
 * transaction and come back in seq order; relays racing on every instance hand each row to
 * exactly one successful publish, in seq order, and a failed publish leaves its rows for the
 * next; PostgreSQL wakes listeners on other instances when rows commit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OutboxEvent } from '../../shared/bus/messages.js';
import type { OutboxRecord, Store } from './types.js';

const inv = (id: string): OutboxEvent => ({ kind: 'invalidation', id, distributionId: 'd', paths: ['/x'], tags: [] });

export function outboxContract(all: () => Store[]): void {
  test('outbox: rows commit and roll back with their transaction, in seq order, and are pruned by age', async () => {
    const [s] = all();
    const start = await s!.outbox.lastSeq();
    await s!.tx(async () => {
      await s!.outbox.add({ kind: 'snapshot', version: 7, checksum: 'c7', generations: { d: 7 } }, 100);
      await s!.outbox.add(inv('i1'), 101);
    });
    await assert.rejects(
      s!.tx(async () => {
        await s!.outbox.add(inv('gone'), 102);
        throw new Error('undo');
      }),
      /undo/,
    );
    const rows = await s!.outbox.after(start, 10);
    assert.deepEqual(
      rows.map((r) => [r.event, r.createdAt, r.relayedAt]),
      [
        [{ kind: 'snapshot', version: 7, checksum: 'c7', generations: { d: 7 } }, 100, null],
        [inv('i1'), 101, null],
      ],
    );
    assert.ok(rows[0]!.seq < rows[1]!.seq);
    assert.equal(await s!.outbox.lastSeq(), rows[1]!.seq);
    assert.deepEqual(await s!.outbox.after(rows[1]!.seq, 10), []);
    await s!.outbox.markRelayed([rows[0]!.seq], 500);
    assert.equal((await s!.outbox.after(start, 1))[0]!.relayedAt, 500);
    assert.deepEqual(
      (await s!.outbox.unrelayed(100)).filter((r) => r.seq > start).map((r) => r.seq),
      [rows[1]!.seq],
    );
    assert.equal(await s!.outbox.prune(101), 1, 'only the row created before 101');
    assert.deepEqual(
      (await s!.outbox.after(start, 10)).map((r) => r.seq),
      [rows[1]!.seq],
    );
    // Leave nothing unrelayed for the next test.
    await s!.outbox.markRelayed([rows[1]!.seq], 501);
  });

  test('outbox relay: two relays per instance racing writers hand every row to one publish, in seq order', async () => {
    const stores = all();
    const start = await stores[0]!.outbox.lastSeq();
    const published: OutboxRecord[] = [];
    let failOnce = true;
    const publish = async (rows: OutboxRecord[]) => {
      await new Promise((r) => setImmediate(r));
      // One publish fails: its rows must come again, not be lost or marked.
      if (failOnce) {
        failOnce = false;
        throw new Error('bus down');
      }
      published.push(...rows);
    };
    const relays = stores.flatMap((r) => [r, r]);
    let writing = true;
    const relayLoop = async (r: Store) => {
      for (let spins = 0; spins < 2000; spins++) {
        const n = await r.relayOutbox(publish, 7, 1).catch(() => -1);
        if (n === 0 && !writing && (await r.outbox.unrelayed(1)).length === 0) return;
        if (n <= 0) await new Promise((res) => setTimeout(res, 2));
      }
    };
    const loops = relays.map(relayLoop);
    const per = 12;
    await Promise.all(
      stores.map((r, ri) =>
        (async () => {
          for (let i = 0; i < per; i++) await r.tx(() => r.outbox.add(inv(`r${ri}-${i}`), 1).then(() => undefined));
        })(),
      ),
    );
    writing = false;
    await Promise.all(loops);
    const seqs = published.map((r) => r.seq);
    const want = (await stores[0]!.outbox.after(start, 1000)).map((r) => r.seq);
    assert.equal(want.length, stores.length * per);
    assert.deepEqual(seqs, want, 'each row once, in seq order');
    assert.equal(failOnce, false, 'the failing publish ran');
    for (const r of await stores[0]!.outbox.after(start, 1000)) assert.notEqual(r.relayedAt, null);
  });

  test('outbox: a commit on one instance wakes listeners on the others (PostgreSQL; SQLite has no others)', async () => {
    const stores = all();
    if (stores.length < 2) {
      // One instance (SQLite): listening is a no-op that stops cleanly.
      await (
        await stores[0]!.onOutbox(() => assert.fail('nothing else can commit'))
      )();
      return;
    }
    let woke!: () => void;
    const waking = new Promise<void>((r) => (woke = r));
    let armed = false;
    const stop = await stores[1]!.onOutbox(() => armed && woke());
    try {
      armed = true;
      await stores[0]!.tx(async () => void (await stores[0]!.outbox.add(inv('wake'), 1)));
      await Promise.race([
        waking,
        new Promise((_, rej) => setTimeout(() => rej(new Error('no wake within 5 s')), 5000)),
      ]);
    } finally {
      await stop();
    }
  });
}

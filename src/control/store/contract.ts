/**
 * @module control/store/contract
 * The contract every Store passes (SQLite and PostgreSQL): migrations, a round trip through
 * every repository, transactions (commit, rollback, savepoints, isolation from callers outside),
 * optimistic concurrency on `revision`, and a snapshot sequence with no gap and no duplicate
 * under concurrent writers on several instances of one database (replicas). Run it from a test
 * file: `storeContract('sqlite', target)`; records come from `./contract-records.ts`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MIGRATIONS } from './migrations/index.js';
import type { Store } from './types.js';
import { repoRoundTrips } from './contract-records.js';
import { outboxContract } from './contract-outbox.js';

export interface ContractTarget {
  /** Opens one more store on the same database (a replica); the first call migrates it. */
  open(now: number): Promise<Store>;
  /** The schema versions recorded in the database. */
  appliedMigrations(): Promise<number[]>;
  /** Records a migration newer than the code straight in the database. */
  recordFutureMigration(version: number): Promise<void>;
  /** How many instances can write to the one database from this process at once. */
  replicas: number;
  cleanup(): Promise<void>;
}

/** A conflict the test's read-check-write raises, as the domain raises PRECONDITION_FAILED. */
class Stale extends Error {}

export function storeContract(name: string, make: () => Promise<ContractTarget> | ContractTarget): void {
  describe(`store contract: ${name}`, () => {
    let target: ContractTarget;
    let stores: Store[] = [];
    let s: Store;
    before(async () => {
      target = await make();
      s = await target.open(1);
      stores = [s];
      for (let i = 1; i < target.replicas; i++) stores.push(await target.open(1));
    });
    after(async () => {
      for (const x of stores) await x.close();
      await target.cleanup();
    });

    test('migrations: every one applied once and recorded; a database newer than the code is refused', async () => {
      const all = MIGRATIONS.map((m) => m.version);
      assert.deepEqual(await target.appliedMigrations(), all);
      const again = await target.open(2);
      await again.close();
      assert.deepEqual(await target.appliedMigrations(), all, 'a second open applies nothing');
      await target.recordFutureMigration(999);
      await assert.rejects(target.open(3), /schema version 999 .*upgrade verge/);
    });

    repoRoundTrips(() => s);
    outboxContract(() => stores);

    test('tx: commits together, rolls back together, and the error comes out unchanged', async () => {
      const boom = new Error('boom');
      await s.tx(async () => {
        await s.kvs.insert({ name: 'tx-a', data: { k: 'v' }, revision: 1, createdAt: 1, updatedAt: 1 });
        await s.kvs.insert({ name: 'tx-b', data: {}, revision: 1, createdAt: 1, updatedAt: 1 });
      });
      assert.deepEqual(
        (await s.kvs.list()).map((k) => k.name).filter((n) => n.startsWith('tx-')),
        ['tx-a', 'tx-b'],
      );
      await assert.rejects(
        s.tx(async () => {
          await s.kvs.delete('tx-a');
          await s.kvs.update({ name: 'tx-b', data: { x: '1' }, revision: 2, createdAt: 1, updatedAt: 2 });
          throw boom;
        }),
        (e) => e === boom,
      );
      assert.ok(await s.kvs.get('tx-a'), 'the delete was rolled back');
      assert.equal((await s.kvs.get('tx-b'))?.revision, 1, 'the update was rolled back');
    });

    test('tx inside tx is a savepoint: its failure undoes its own writes only', async () => {
      await s.tx(async () => {
        await s.kvs.insert({ name: 'sp-outer', data: {}, revision: 1, createdAt: 1, updatedAt: 1 });
        await assert.rejects(
          s.tx(async () => {
            await s.kvs.insert({ name: 'sp-inner', data: {}, revision: 1, createdAt: 1, updatedAt: 1 });
            throw new Error('inner');
          }),
          /inner/,
        );
        await s.tx(async () => s.kvs.insert({ name: 'sp-kept', data: {}, revision: 1, createdAt: 1, updatedAt: 1 }));
      });
      assert.ok(await s.kvs.get('sp-outer'));
      assert.equal(await s.kvs.get('sp-inner'), undefined);
      assert.ok(await s.kvs.get('sp-kept'));
    });

    test('tx: a caller outside never sees uncommitted writes', async () => {
      let inside!: () => void;
      const written = new Promise<void>((r) => (inside = r));
      let outsideDone!: () => void;
      const outsideRead = new Promise<void>((r) => (outsideDone = r));
      let seen: unknown = 'not read';
      const reader = (async () => {
        await written;
        const p = stores[stores.length - 1]!.tokens.get('tok-uncommitted');
        // The read may wait for the transaction (one SQLite connection) or answer at once
        // (PostgreSQL); the transaction rolls back after a bounded wait either way.
        void p.then(() => outsideDone());
        seen = await p;
      })();
      await assert.rejects(
        s.tx(async () => {
          await s.tokens.insert({
            id: 'tok-uncommitted',
            name: 'n',
            kind: 'admin',
            pop: null,
            hash: 'h-uncommitted',
            createdAt: 1,
            revokedAt: null,
          });
          inside();
          await Promise.race([outsideRead, new Promise((r) => setTimeout(r, 200))]);
          throw new Error('abandon');
        }),
        /abandon/,
      );
      await reader;
      assert.equal(seen, undefined);
    });

    test('optimistic concurrency: of writers that all read revision 1, exactly one commits', async () => {
      await s.distributions.insert({
        id: 'occ',
        config: { id: 'occ' } as never,
        revision: 1,
        changedIn: 0,
        createdAt: 1,
        updatedAt: 1,
      });
      const writers = Array.from({ length: 6 }, (_, i) => {
        const r = stores[i % stores.length]!;
        return r.tx(async () => {
          const d = await r.distributions.get('occ');
          if (!d || d.revision !== 1) throw new Stale(`revision ${d?.revision}`);
          await new Promise((res) => setImmediate(res));
          await r.distributions.update({ ...d, revision: 2, updatedAt: 2 + i });
          return i;
        });
      });
      const out = await Promise.allSettled(writers);
      const won = out.filter((o) => o.status === 'fulfilled');
      assert.equal(won.length, 1, JSON.stringify(out.map((o) => o.status)));
      for (const o of out) if (o.status === 'rejected') assert.ok(o.reason instanceof Stale, String(o.reason));
      const d = await stores[stores.length - 1]!.distributions.get('occ');
      assert.equal(d?.revision, 2);
      assert.equal(d?.updatedAt, 2 + (won[0] as PromiseFulfilledResult<number>).value);
    });

    test('snapshot sequence: concurrent writers on every replica get 1..N, no gap, no duplicate', async () => {
      const start = await s.snapshots.latestVersion();
      const per = 8;
      const writes = stores.flatMap((r, ri) =>
        Array.from({ length: per }, (_, i) =>
          r.tx(async () => {
            const v = (await r.snapshots.latestVersion()) + 1;
            await new Promise((res) => setImmediate(res));
            await r.snapshots.insert({
              version: v,
              createdAt: 10,
              checksum: `c${ri}-${i}`,
              reason: `replica ${ri} writer ${i}`,
              document: '{"bundles":{}}',
            });
            return v;
          }),
        ),
      );
      const got = (await Promise.all(writes)).sort((a, b) => a - b);
      const n = stores.length * per;
      assert.deepEqual(
        got,
        Array.from({ length: n }, (_, i) => start + 1 + i),
      );
      const listed = (await stores[0]!.snapshots.list(n)).map((x) => x.version).sort((a, b) => a - b);
      assert.deepEqual(listed, got, 'every replica reads the same sequence');
    });
  });
}

/**
 * @module control/store/sqlite/async
 * `openSqliteStore`: the SQLite store behind the asynchronous interface (`Store`) that
 * PostgreSQL implements too. better-sqlite3 answers synchronously on one connection, so a
 * transaction that awaits between its statements must keep every other caller out until it
 * commits: `tx` holds a queue lock from BEGIN IMMEDIATE to COMMIT, calls made inside it (tracked
 * with AsyncLocalStorage, so nothing has to pass a handle around) run at once as part of it, and
 * calls from outside wait for the lock rather than read or write its uncommitted rows.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type Database from 'better-sqlite3';
import type { Store, SyncStore } from '../types.js';
import { openSqliteDatabase, sqliteStoreOn } from './open.js';

interface Frame {
  /** False once the transaction ended: work it started later runs on its own. */
  open: boolean;
  depth: number;
}

export function openSqliteStore(file: string, now: number): Store {
  const db = openSqliteDatabase(file, now);
  return asyncOver(db, sqliteStoreOn(db));
}

function asyncOver(db: Database.Database, sync: SyncStore): Store {
  const frames = new AsyncLocalStorage<Frame>();
  let tail: Promise<void> = Promise.resolve();
  let held = false;
  let relaying = false;
  const current = (): Frame | undefined => {
    const f = frames.getStore();
    return f?.open ? f : undefined;
  };
  /** Runs `fn` once every transaction queued before it has finished. */
  const exclusive = async <T>(fn: () => Promise<T> | T): Promise<T> => {
    const before = tail;
    let release!: () => void;
    tail = new Promise((r) => (release = r));
    await before;
    try {
      return await fn();
    } finally {
      release();
    }
  };
  const call = <T>(fn: () => T): Promise<T> => {
    if (current() || !held) {
      try {
        return Promise.resolve(fn());
      } catch (e) {
        return Promise.reject(e as Error);
      }
    }
    return exclusive(fn);
  };
  const lift = <R extends object>(repo: R): never => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(repo)) {
      if (typeof v === 'function')
        out[k] = (...args: unknown[]) => call(() => (v as (...a: unknown[]) => unknown)(...args));
    }
    return out as never;
  };
  const savepoint = async <T>(frame: Frame, fn: () => Promise<T>): Promise<T> => {
    const name = `verge_sp${++frame.depth}`;
    db.exec(`SAVEPOINT ${name}`);
    try {
      const r = await fn();
      db.exec(`RELEASE ${name}`);
      return r;
    } catch (e) {
      db.exec(`ROLLBACK TO ${name}`);
      db.exec(`RELEASE ${name}`);
      throw e;
    } finally {
      frame.depth--;
    }
  };
  return {
    kind: 'sqlite',
    tokens: lift(sync.tokens),
    functions: lift(sync.functions),
    blobs: lift(sync.blobs),
    distributions: lift(sync.distributions),
    triggers: lift(sync.triggers),
    kvs: lift(sync.kvs),
    publicKeys: lift(sync.publicKeys),
    keyGroups: lift(sync.keyGroups),
    pops: lift(sync.pops),
    snapshots: lift(sync.snapshots),
    invalidations: lift(sync.invalidations),
    outbox: lift(sync.outbox),
    relayOutbox: async (publish, limit, at) => {
      // One instance per SQLite file: this process's own relays only need to take turns.
      if (relaying) return 0;
      relaying = true;
      try {
        const rows = await call(() => sync.outbox.unrelayed(limit));
        if (rows.length === 0) return 0;
        await publish(rows);
        await call(() =>
          sync.outbox.markRelayed(
            rows.map((r) => r.seq),
            at,
          ),
        );
        return rows.length;
      } finally {
        relaying = false;
      }
    },
    onOutbox: () => Promise.resolve(() => Promise.resolve()),
    tx: <T>(fn: () => Promise<T>): Promise<T> => {
      const open = current();
      if (open) return savepoint(open, fn);
      return exclusive(async () => {
        const frame: Frame = { open: true, depth: 0 };
        held = true;
        db.exec('BEGIN IMMEDIATE');
        try {
          const r = await frames.run(frame, fn);
          db.exec('COMMIT');
          return r;
        } catch (e) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw e;
        } finally {
          frame.open = false;
          held = false;
        }
      });
    },
    close: () => exclusive(() => void db.close()),
  };
}

/**
 * @module control/store/postgres/open
 * `openPostgresStore`: the control plane's store on PostgreSQL, which several control replicas
 * share (DESIGN 4, "Beyond one machine"). A pool of connections answers calls made outside a
 * transaction; `tx` takes one connection for the whole transaction, and calls made inside it
 * (tracked with AsyncLocalStorage) run on that connection. Every write transaction first takes
 * one transaction-scoped advisory lock, so writers on every replica run one at a time as they do
 * on SQLite: a read-check-write (`If-Match`, the next snapshot number) cannot interleave with
 * another replica's. Readers never wait for it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { VergeError } from '../../../shared/errors.js';
import { MIGRATIONS, postgresDdl, type Migration } from '../migrations/index.js';
import type { Row } from '../rows.js';
import type { Store } from '../types.js';
import { listenOutbox, outboxRepo, relayOutbox } from './outbox.js';
import { postgresRepos } from './repos.js';

/** Advisory lock keys (one 64-bit space per database): the write lock and the migration lock. */
const WRITE_LOCK = 0x76657267_01; // "verg" 1
const MIGRATE_LOCK = 0x76657267_02;

export interface PostgresOptions {
  /** A schema to use instead of `public` (tests give each run its own). */
  schema?: string;
  /** Pool size (default 10). */
  max?: number;
}

/** Runs statements written with `?` placeholders (numbered for PostgreSQL here). */
export interface Sql {
  rows(sql: string, args?: readonly unknown[]): Promise<Row[]>;
  one(sql: string, args?: readonly unknown[]): Promise<Row | undefined>;
  /** The number of rows the statement changed. */
  run(sql: string, args?: readonly unknown[]): Promise<number>;
}

interface Frame {
  open: boolean;
  client: pg.PoolClient;
  depth: number;
}

export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export async function openPostgresStore(url: string, now: number, o: PostgresOptions = {}): Promise<Store> {
  if (o.schema !== undefined && !SCHEMA_NAME.test(o.schema)) {
    throw new VergeError(
      'VALIDATION_FAILED',
      `schema ${JSON.stringify(o.schema)}: use lower-case letters, digits and _`,
    );
  }
  const config: pg.ClientConfig = {
    connectionString: url,
    ...(o.schema ? { options: `-c search_path=${o.schema}` } : {}),
  };
  const pool = new pg.Pool({ ...config, max: o.max ?? 10 });
  // An idle connection the server dropped must not take the process down; the next query reconnects.
  pool.on('error', () => undefined);
  let channel: string;
  try {
    await migratePostgres(pool, now);
    // NOTIFY channels are per database, schemas are not: each schema (a cluster) has its own.
    const schema = String((await pool.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]!.s);
    channel = `verge_outbox_${schema}`.slice(0, 63);
  } catch (e) {
    await pool.end();
    throw e;
  }
  const frames = new AsyncLocalStorage<Frame>();
  const current = (): Frame | undefined => {
    const f = frames.getStore();
    return f?.open ? f : undefined;
  };
  const query = async (sql: string, args: readonly unknown[] = []): Promise<pg.QueryResult<Row>> =>
    (current()?.client ?? pool).query<Row>(numbered(sql), args as unknown[]);
  const sql: Sql = {
    rows: async (s, a) => (await query(s, a)).rows,
    one: async (s, a) => (await query(s, a)).rows[0],
    run: async (s, a) => (await query(s, a)).rowCount ?? 0,
  };
  const savepoint = async <T>(frame: Frame, fn: () => Promise<T>): Promise<T> => {
    const name = `verge_sp${++frame.depth}`;
    await frame.client.query(`SAVEPOINT ${name}`);
    try {
      const r = await fn();
      await frame.client.query(`RELEASE SAVEPOINT ${name}`);
      return r;
    } catch (e) {
      await frame.client.query(`ROLLBACK TO SAVEPOINT ${name}`);
      await frame.client.query(`RELEASE SAVEPOINT ${name}`);
      throw e;
    } finally {
      frame.depth--;
    }
  };
  return {
    kind: 'postgres',
    ...postgresRepos(sql),
    outbox: outboxRepo(sql, channel),
    relayOutbox: (publish, limit, at) => relayOutbox(pool, publish, limit, at),
    onOutbox: (wake) => listenOutbox(config, channel, wake),
    tx: async <T>(fn: () => Promise<T>): Promise<T> => {
      const open = current();
      if (open) return savepoint(open, fn);
      const client = await pool.connect();
      const frame: Frame = { open: true, client, depth: 0 };
      let broken = false;
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK]);
        const r = await frames.run(frame, fn);
        frame.open = false;
        await client.query('COMMIT');
        return r;
      } catch (e) {
        frame.open = false;
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true; // the connection is gone: the server rolled back; do not reuse it
        }
        throw e;
      } finally {
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}

/**
 * Applies pending migrations, each in its own transaction with its record. Replicas starting
 * together wait on one advisory lock, so exactly one applies each migration.
 */
export async function migratePostgres(
  pool: pg.Pool,
  now: number,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  const c = await pool.connect();
  try {
    await c.query('SELECT pg_advisory_lock($1)', [MIGRATE_LOCK]);
    try {
      await c.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
      const done = new Set(
        (await c.query<{ version: string }>('SELECT version FROM schema_migrations')).rows.map((r) =>
          Number(r.version),
        ),
      );
      const newest = Math.max(0, ...migrations.map((m) => m.version));
      const ahead = [...done].filter((v) => v > newest);
      if (ahead.length > 0) {
        throw new VergeError(
          'INTERNAL',
          `the database has schema version ${Math.max(...ahead)} but this verge knows only up to ${newest}: upgrade verge`,
        );
      }
      const applied: number[] = [];
      for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
        if (done.has(m.version)) continue;
        await c.query('BEGIN');
        try {
          await c.query(postgresDdl(m));
          await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
            m.version,
            m.name,
            now,
          ]);
          await c.query('COMMIT');
        } catch (e) {
          await c.query('ROLLBACK');
          throw e;
        }
        applied.push(m.version);
      }
      return applied;
    } finally {
      await c.query('SELECT pg_advisory_unlock($1)', [MIGRATE_LOCK]);
    }
  } finally {
    c.release();
  }
}

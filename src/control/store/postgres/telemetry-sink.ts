/**
 * @module control/store/postgres/telemetry-sink
 * The telemetry sink on PostgreSQL: a pool of its own (so log floods cannot take the
 * connections config changes need) on the telemetry tables, in the store's database or another.
 * Its transactions never take the store's write lock (`./open.ts`): a batch's id claim and its
 * rows commit together, and two replicas given the same batch store it once, because the second
 * claim waits for the first's commit on the primary key and then finds it taken.
 */
import pg from 'pg';
import type { TelemetrySink } from '../../telemetry/sink.js';
import type { Row } from '../rows.js';
import { TELEMETRY_POSTGRES_DDL } from '../telemetry-schema.js';
import { numbered, type PostgresOptions, type Sql } from './open.js';
import { postgresTelemetryRepo } from './telemetry-repo.js';

/** Held while creating the tables, so replicas starting together do not race on the catalogue. */
const SCHEMA_LOCK = 0x76657267_03;

function sqlOn(q: pg.Pool | pg.PoolClient): Sql {
  const query = (s: string, a: readonly unknown[] = []) => q.query<Row>(numbered(s), a as unknown[]);
  return {
    rows: async (s, a) => (await query(s, a)).rows,
    one: async (s, a) => (await query(s, a)).rows[0],
    run: async (s, a) => (await query(s, a)).rowCount ?? 0,
  };
}

export async function openPostgresTelemetrySink(url: string, o: PostgresOptions = {}): Promise<TelemetrySink> {
  const pool = new pg.Pool({
    connectionString: url,
    max: o.max ?? 4,
    ...(o.schema ? { options: `-c search_path=${o.schema}` } : {}),
  });
  pool.on('error', () => undefined);
  try {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
      await c.query(TELEMETRY_POSTGRES_DDL);
      await c.query('COMMIT');
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  } catch (e) {
    await pool.end();
    throw e;
  }
  const reader = postgresTelemetryRepo(sqlOn(pool));
  return {
    write: async (batches) => {
      const client = await pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const repo = postgresTelemetryRepo(sqlOn(client));
        const out: boolean[] = [];
        for (const b of batches) {
          const fresh = await repo.claimBatch(b.batchId, b.kind, b.pop, b.at);
          if (fresh) await (b.kind === 'logs' ? repo.insertLogs(b.records) : repo.insertPoints(b.pop, b.points));
          out.push(fresh);
        }
        await client.query('COMMIT');
        return out;
      } catch (e) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        throw e;
      } finally {
        client.release(broken);
      }
    },
    queryLogs: reader.queryLogs,
    queryPoints: reader.queryPoints,
    prune: reader.prune,
    close: () => pool.end(),
  };
}

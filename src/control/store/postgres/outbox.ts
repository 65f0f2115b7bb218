/**
 * @module control/store/postgres/outbox
 * The outbox on PostgreSQL (migration 006). `add` also NOTIFYs the schema's channel in the same
 * transaction, so PostgreSQL wakes the other replicas only when the change commits. `relay`
 * holds a transaction-scoped advisory lock on its own connection while it publishes, so one
 * replica relays at a time, in seq order, and never blocks writers (it does not take the write
 * lock). `listen` keeps one connection in LISTEN and reconnects it, waking the caller after each
 * reconnect too, since notifications sent while it was away are lost.
 */
import pg from 'pg';
import { outboxOf, type Row } from '../rows.js';
import type { OutboxRecord, Store } from '../types.js';
import type { Sql } from './open.js';

/** "verg" 3: the relay's advisory lock (1 and 2 are the write and migration locks). */
const RELAY_LOCK = 0x76657267_03;

export function outboxRepo(db: Sql, channel: string): Store['outbox'] {
  return {
    add: async (event, at) => {
      const r = await db.one('INSERT INTO outbox (kind, payload, created_at) VALUES (?, ?, ?) RETURNING seq', [
        event.kind,
        JSON.stringify(event),
        at,
      ]);
      await db.run('SELECT pg_notify(?, ?)', [channel, String(r!.seq)]);
      return Number(r!.seq);
    },
    after: async (afterSeq, limit) =>
      (await db.rows('SELECT * FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?', [afterSeq, limit])).map(outboxOf),
    lastSeq: async () => Number((await db.one('SELECT MAX(seq) AS s FROM outbox'))?.s ?? 0),
    unrelayed: async (limit) =>
      (await db.rows('SELECT * FROM outbox WHERE relayed_at IS NULL ORDER BY seq LIMIT ?', [limit])).map(outboxOf),
    markRelayed: async (seqs, at) =>
      void (await db.run('UPDATE outbox SET relayed_at = ? WHERE seq = ANY(?::bigint[]) AND relayed_at IS NULL', [
        at,
        seqs,
      ])),
    prune: (before) => db.run('DELETE FROM outbox WHERE created_at < ?', [before]),
  };
}

export async function relayOutbox(
  pool: pg.Pool,
  publish: (rows: OutboxRecord[]) => Promise<void>,
  limit: number,
  at: number,
): Promise<number> {
  const c = await pool.connect();
  let broken = false;
  try {
    await c.query('BEGIN');
    const got = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [RELAY_LOCK]);
    if (!got.rows[0]!.ok) {
      await c.query('ROLLBACK');
      return 0;
    }
    const rows = (
      await c.query<Row>('SELECT * FROM outbox WHERE relayed_at IS NULL ORDER BY seq LIMIT $1', [limit])
    ).rows.map(outboxOf);
    if (rows.length > 0) {
      await publish(rows);
      await c.query('UPDATE outbox SET relayed_at = $1 WHERE seq = ANY($2::bigint[])', [at, rows.map((r) => r.seq)]);
    }
    await c.query('COMMIT');
    return rows.length;
  } catch (e) {
    try {
      await c.query('ROLLBACK');
    } catch {
      broken = true;
    }
    throw e;
  } finally {
    c.release(broken);
  }
}

/** LISTEN on `channel` with a connection of its own; reconnects (and wakes) after losing it. */
export async function listenOutbox(
  config: pg.ClientConfig,
  channel: string,
  wake: () => void,
): Promise<() => Promise<void>> {
  let client: pg.Client | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const connect = async (): Promise<void> => {
    const c = new pg.Client(config);
    c.on('error', () => undefined);
    c.on('notification', () => wake());
    c.on('end', () => {
      if (stopped || client !== c) return;
      client = undefined;
      retry = setTimeout(() => void connect().catch(again), 500);
    });
    await c.connect();
    await c.query(`LISTEN "${channel}"`);
    if (stopped) return void (await c.end());
    client = c;
    // Anything committed while no connection listened is read now.
    wake();
  };
  const again = () => {
    if (!stopped) retry = setTimeout(() => void connect().catch(again), 1000);
  };
  await connect();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    const c = client;
    client = undefined;
    await c?.end().catch(() => undefined);
  };
}

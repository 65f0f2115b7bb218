/**
 * A test control plane on SQLite or on PostgreSQL, with `flip`: damage a stored blob (a bundle or
 * KeyValueStore data) through the store's own SQL, as a bad sector or a bad restore would, by
 * flipping every bit of its middle byte (flipping twice restores it). Shared by the scenarios that
 * check blobs are refused when damaged and repaired when put again.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { startTestControl, type TestControl } from '../../src/control/testing/harness.js';
import { POSTGRES_URL, inSchema, scratchSchema } from './services.js';

export type Damage = (sha256: string) => Promise<void>;

export interface DamageableStore {
  start(): Promise<{ t: TestControl; flip: Damage; close(): Promise<void> }>;
}

export const sqliteStore: DamageableStore = {
  async start() {
    const t = await startTestControl();
    const flip: Damage = async (sha256) => {
      const db = new Database(join(t.dir, 'data', 'verge.db'));
      try {
        db.pragma('busy_timeout = 5000');
        const row = db.prepare('SELECT data FROM blobs WHERE sha256 = ?').get(sha256) as { data: Buffer } | undefined;
        assert.ok(row, `blob ${sha256} is stored`);
        const data = Buffer.from(row.data);
        const at = data.length >> 1;
        data[at] = data[at]! ^ 0xff;
        db.prepare('UPDATE blobs SET data = ? WHERE sha256 = ?').run(data, sha256);
      } finally {
        db.close();
      }
    };
    return { t, flip, close: () => t.close() };
  },
};

export const postgresStore: DamageableStore = {
  async start() {
    const s = await scratchSchema();
    const t = await startTestControl({ store: inSchema(s.schema) });
    const flip: Damage = async (sha256) => {
      const c = new pg.Client({ connectionString: POSTGRES_URL, options: `-c search_path=${s.schema}` });
      await c.connect();
      try {
        const r = await c.query(
          'UPDATE blobs SET data = set_byte(data, length(data) / 2, get_byte(data, length(data) / 2) # 255) WHERE sha256 = $1',
          [sha256],
        );
        assert.equal(r.rowCount, 1, `blob ${sha256} is stored`);
      } finally {
        await c.end();
      }
    };
    return {
      t,
      flip,
      close: async () => {
        await t.close();
        await s.drop();
      },
    };
  },
};

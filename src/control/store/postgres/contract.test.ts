// The store contract (../contract.ts) on PostgreSQL, with three instances on one database as
// three control replicas: a schema of the test's own in the `test` database, dropped after.
import pg from 'pg';
import { describe } from 'node:test';
import { needs } from '../../../../test/harness/needs.js';
import { POSTGRES_URL, missingPostgres, scratchSchema } from '../../../../test/harness/services.js';
import { storeContract } from '../contract.js';
import { openPostgresStore } from './open.js';

const missing = await missingPostgres();
if (needs(missing)) {
  describe('store contract: postgres', { skip: missing }, () => undefined);
} else {
  storeContract('postgres', async () => {
    const { schema, drop } = await scratchSchema();
    const query = async (sql: string) => {
      const c = new pg.Client({ connectionString: POSTGRES_URL, options: `-c search_path=${schema}` });
      await c.connect();
      try {
        return (await c.query(sql)).rows;
      } finally {
        await c.end();
      }
    };
    return {
      replicas: 3,
      open: (now) => openPostgresStore(POSTGRES_URL, now, { schema, max: 4 }),
      appliedMigrations: async () =>
        (await query('SELECT version FROM schema_migrations ORDER BY version')).map((r) => Number(r.version)),
      recordFutureMigration: async (v) =>
        void (await query(
          `INSERT INTO schema_migrations (version, name, applied_at) VALUES (${Number(v)}, 'future', 0)`,
        )),
      cleanup: drop,
    };
  });
}

/**
 * @module test/harness/services
 * Where the tests find the services of a cluster (PostgreSQL, NATS) and whether they answer, as
 * a reason for `needs()` (./needs.ts): outside CI a suite without its service skips naming it,
 * under CI it fails. `.ci/run` starts both; VERGE_TEST_POSTGRES points elsewhere.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'nats';
import pg from 'pg';

export const POSTGRES_URL = process.env.VERGE_TEST_POSTGRES ?? 'postgres://root@127.0.0.1:5432/test';

/** False when PostgreSQL answers at `url`, else why not and how to get it. */
export async function missingPostgres(url = POSTGRES_URL): Promise<string | false> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return false;
  } catch (e) {
    return `PostgreSQL does not answer at ${url} (${(e as Error).message}); start it (.ci/run does, README "Cluster") or set VERGE_TEST_POSTGRES`;
  } finally {
    await c.end().catch(() => undefined);
  }
}

export const NATS_URL = process.env.VERGE_TEST_NATS ?? 'nats://127.0.0.1:4222';

/** False when NATS with JetStream answers at `url`, else why not and how to get it. */
export async function missingNats(url = NATS_URL): Promise<string | false> {
  try {
    const nc = await connect({ servers: url, reconnect: false, timeout: 3000 });
    try {
      await (await nc.jetstreamManager()).getAccountInfo();
      return false;
    } finally {
      await nc.close();
    }
  } catch (e) {
    return `NATS with JetStream does not answer at ${url} (${(e as Error).message}); start nats-server -js (.ci/run does, docs/operations.md) or set VERGE_TEST_NATS`;
  }
}

/** A schema of its own for one test file, dropped by the returned function. */
export async function scratchSchema(url = POSTGRES_URL): Promise<{ schema: string; drop: () => Promise<void> }> {
  const schema = `verge_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE SCHEMA ${schema}`);
  return { schema, drop: () => admin(`DROP SCHEMA ${schema} CASCADE`) };
}

/** `url` with every connection's search_path set to `schema` (how a replica is pointed at a test's schema). */
export function inSchema(schema: string, url = POSTGRES_URL): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

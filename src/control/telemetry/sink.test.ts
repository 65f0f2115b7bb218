// The telemetry sink contract (./sink-contract.ts) on a SQLite file of its own and on PostgreSQL
// (a schema of the test's own, two sinks as two replicas; skipped without PostgreSQL, failed under CI).
//
// PostgreSQL is probed before any suite is registered: the runner (--test-force-exit) ends the
// file as soon as every test it knows of has finished, so a suite registered after an await that
// outlasts the SQLite suite never ran and was never reported, not even as skipped.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'node:test';
import { needs } from '../../../test/harness/needs.js';
import { POSTGRES_URL, missingPostgres, scratchSchema } from '../../../test/harness/services.js';
import { openPostgresTelemetrySink } from '../store/postgres/telemetry-sink.js';
import { openSqliteTelemetrySink } from '../store/sqlite/telemetry-sink.js';
import { telemetrySinkContract } from './sink-contract.js';

const missing = await missingPostgres();

telemetrySinkContract('sqlite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'verge-telemetry-'));
  return {
    open: () => Promise.resolve(openSqliteTelemetrySink(join(dir, 'verge-telemetry.db'))),
    cleanup: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  };
});

if (needs(missing)) {
  describe('telemetry sink contract: postgres', { skip: missing }, () => undefined);
} else {
  telemetrySinkContract('postgres', async () => {
    const { schema, drop } = await scratchSchema();
    return { open: () => openPostgresTelemetrySink(POSTGRES_URL, { schema, max: 2 }), cleanup: drop };
  });
}

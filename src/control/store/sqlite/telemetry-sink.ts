/**
 * @module control/store/sqlite/telemetry-sink
 * The telemetry sink on SQLite: a database file of its own (`verge-telemetry.db` beside
 * `verge.db`), so its writes never queue behind, or hold, the config store's single writer. A
 * write is one synchronous transaction: claim each batch id, insert what was not seen.
 */
import Database from 'better-sqlite3';
import type { TelemetrySink } from '../../telemetry/sink.js';
import { TELEMETRY_SQLITE_DDL } from '../telemetry-schema.js';
import { telemetryRepo } from './telemetry-repo.js';

/** The telemetry file that goes with a store file: `verge.db` -> `verge-telemetry.db`; `:memory:` stays in memory. */
export function telemetryFileFor(storeFile: string): string {
  if (storeFile === ':memory:') return storeFile;
  return storeFile.replace(/(\.db|\.sqlite3?)?$/, (ext) => `-telemetry${ext || '.db'}`);
}

export function openSqliteTelemetrySink(file: string): TelemetrySink {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    // As the store: WAL with NORMAL may lose the last commits in a power cut, never corrupts.
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.exec(TELEMETRY_SQLITE_DDL);
  } catch (e) {
    db.close();
    throw e;
  }
  const repo = telemetryRepo(db);
  const write = db.transaction((batches: Parameters<TelemetrySink['write']>[0]) =>
    batches.map((b) => {
      if (!repo.claimBatch(b.batchId, b.kind, b.pop, b.at)) return false;
      if (b.kind === 'logs') repo.insertLogs(b.records);
      else repo.insertPoints(b.pop, b.points);
      return true;
    }),
  );
  const lift =
    <A extends unknown[], T>(fn: (...a: A) => T) =>
    (...a: A): Promise<T> => {
      try {
        return Promise.resolve(fn(...a));
      } catch (e) {
        return Promise.reject(e as Error);
      }
    };
  return {
    write: lift(write),
    queryLogs: lift(repo.queryLogs),
    queryPoints: lift(repo.queryPoints),
    prune: lift(repo.prune),
    close: lift(() => void db.close()),
  };
}

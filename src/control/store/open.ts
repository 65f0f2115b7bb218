/**
 * @module control/store/open
 * `openStore`: the store a `--store` value names. `postgres://` or `postgresql://` URLs open
 * PostgreSQL (several control replicas share one database); anything else is a SQLite file, the
 * single-node default. A database that cannot be reached is a clear error naming where.
 * `openTelemetrySink`: where logs and metric points go, by default beside the store (a file of
 * its own next to a SQLite store, its own pool on a PostgreSQL store's database).
 */
import { VergeError } from '../../shared/errors.js';
import { openPostgresStore } from './postgres/open.js';
import { openPostgresTelemetrySink } from './postgres/telemetry-sink.js';
import { openSqliteStore } from './sqlite/async.js';
import { openSqliteTelemetrySink, telemetryFileFor } from './sqlite/telemetry-sink.js';
import type { TelemetrySink } from '../telemetry/sink.js';
import type { Store } from './types.js';

export function isPostgresUrl(where: string): boolean {
  return /^postgres(ql)?:\/\//i.test(where);
}

/** The URL without its password, for messages and logs. */
export function redactUrl(where: string): string {
  return where.replace(/^(postgres(?:ql)?:\/\/[^:/@]+):[^@/]*@/i, '$1:***@');
}

export async function openStore(where: string, now: number): Promise<Store> {
  if (!isPostgresUrl(where)) return openSqliteStore(where, now);
  try {
    return await openPostgresStore(where, now);
  } catch (e) {
    if (e instanceof VergeError) throw e;
    throw new VergeError(
      'STORE_UNAVAILABLE',
      `the store at ${redactUrl(where)} cannot be opened: ${(e as Error).message}; check that PostgreSQL runs there and the URL (user, database) is right`,
      { cause: e },
    );
  }
}

/** The telemetry sink at `where` (a SQLite file or a `postgres://` URL), or the one that goes with the store at `store`. */
export async function openTelemetrySink(o: { store: string; where?: string }): Promise<TelemetrySink> {
  const where = o.where ?? (isPostgresUrl(o.store) ? o.store : telemetryFileFor(o.store));
  if (!isPostgresUrl(where)) return openSqliteTelemetrySink(where);
  try {
    return await openPostgresTelemetrySink(where);
  } catch (e) {
    throw new VergeError(
      'STORE_UNAVAILABLE',
      `the telemetry store at ${redactUrl(where)} cannot be opened: ${(e as Error).message}; check that PostgreSQL runs there and the URL (user, database) is right`,
      { cause: e },
    );
  }
}

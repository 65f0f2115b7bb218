/**
 * @module control/store/open
 * `openStore`: the store a `--store` value names. `postgres://` or `postgresql://` URLs open
 * PostgreSQL (several control replicas share one database); anything else is a SQLite file, the
 * single-node default. A database that cannot be reached is a clear error naming where.
 */
import { VergeError } from '../../shared/errors.js';
import { openPostgresStore } from './postgres/open.js';
import { openSqliteStore } from './sqlite/async.js';
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

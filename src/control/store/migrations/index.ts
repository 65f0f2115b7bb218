/**
 * @module control/store/migrations
 * The ordered list of schema migrations. Each runs once, in its own transaction, and is recorded
 * in `schema_migrations`; a database newer than this code is refused rather than guessed at.
 */
import { migration as m001 } from './001-initial.js';
import { migration as m002 } from './002-telemetry.js';
import { migration as m003 } from './003-key-groups.js';
import { migration as m004 } from './004-distribution-acks.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [m001, m002, m003, m004];

/**
 * @module control/store/migrations/005-canary-triggers
 * Canary triggers (issue 10 item 5): a trigger may carry a canary (the new version, its share,
 * schedule, state and events) as JSON next to the version it runs for everyone else.
 */
import type { Migration } from './index.js';

export const migration: Migration = {
  version: 5,
  name: 'canary-triggers',
  sql: `ALTER TABLE triggers ADD COLUMN canary TEXT;`,
};

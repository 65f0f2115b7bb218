/** @module control — the control plane: `startControl` and what callers need with it. */
export {
  startControl,
  buildRouter,
  DB_FILE,
  DEFAULT_LOG_RETENTION_MS,
  type Control,
  type ControlOptions,
} from './control.js';
export { ADMIN_TOKEN_FILE, TOKEN_PREFIX, hashToken } from './auth/tokens.js';
export { SECRET_KEY_FILE } from './auth/secret-box.js';
export { API_PREFIX } from './api/server.js';
export type { Store } from './store/types.js';
export { openSqliteStore } from './store/sqlite/async.js';
export { openPostgresStore } from './store/postgres/open.js';

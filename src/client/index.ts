/**
 * @module client
 * The typed REST client for `verge control` (docs/api.md): `createClient`, its errors, the SSE
 * reader and the deployment watcher. Imports nothing but `src/shared`.
 */
export { createClient, type VergeClient } from './client.js';
export {
  createTransport,
  type FetchLike,
  type FetchResponseLike,
  type Transport,
  type TransportOptions,
  type RequestOptions,
} from './http.js';
export {
  ClientError,
  isClientError,
  nextStep,
  formatClientError,
  CONNECTION_REFUSED,
  NETWORK_ERROR,
  TIMEOUT,
  type FieldProblem,
} from './errors.js';
export { readSse, SseParser, type SseEvent } from './sse.js';
export { watchDeployment, progressOf, type DeploymentProgress, type PopProgress, type WatchOptions } from './watch.js';
export type { WithEtag, WriteOptions } from './resources.js';
export type * from './types.js';

/**
 * @module edge/pipeline/deps
 * What the pipeline needs from the rest of the edge, injected once at start-up: the cache,
 * the origin client, the function host, geolocation, the clock, counters and the logger.
 */
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import type { CacheStore } from '../cache/types.js';
import type { Coalescer } from '../cache/index.js';
import type { OriginClient } from '../origin/types.js';
import type { FunctionHost } from '../functions/function-host.js';
import type { GeoLookup } from '../geo/index.js';
import type { EdgeStats } from '../observe/stats.js';
import type { FetchResult } from './transaction.js';
import type { InvalidationFence } from './invalidation-fence.js';
import type { CacheFills } from './cache-fill.js';

export interface PipelineDeps {
  clock: Clock;
  cache: CacheStore;
  coalescer: Coalescer<FetchResult>;
  origins: OriginClient;
  /** The regional edge cache a miss the PoP may store is fetched through (edge/tier), when it has one. */
  regional?: OriginClient;
  functions: FunctionHost;
  geo: GeoLookup | null;
  stats: EdgeStats;
  logger: Logger;
  popId: string;
  region: string;
  /** `1.1 <pop>.verge (Verge)`: the Via token on origin requests and viewer responses. */
  viaToken: string;
  /** The HTTPS port viewers are redirected to (443 is left out of the URL). */
  httpsPort: number;
  /** With `--workers N`: this worker's number (1..N), sent as X-Verge-Worker; null alone. */
  workerId?: number | null;
  /** Emit Server-Timing on every response even without a policy asking for it. */
  serverTiming: boolean;
  /** Invalidations in epochs, so a fetch in flight during one does not store its answer. */
  fence?: InvalidationFence;
  /** Cache fills from bodies still arriving (cache-fill.ts); made on first use when absent. */
  fills?: CacheFills;
  /** Keep background work (stale-while-revalidate refreshes) visible to shutdown. */
  background(p: Promise<unknown>): void;
}

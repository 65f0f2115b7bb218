/**
 * @module bench/micro/in-process-edge
 * The edge's request handler with its dependencies, in this process and without sockets, for the
 * micro benches (hit-path, function-hit, stats-lib, logger-lib): each passes what it compares
 * (stats, a function host, a logger) and drives `handleRequest` with in-memory requests.
 */
import { systemClock } from '../../src/shared/clock.js';
import { silentLogger, type Logger } from '../../src/shared/log.js';
import type { compilePlan } from '../../src/edge/config/compile.js';
import { Coalescer, MemoryStore } from '../../src/edge/cache/index.js';
import { createOriginClient } from '../../src/edge/origin/index.js';
import { FunctionHost } from '../../src/edge/functions/function-host.js';
import { nullRuntime } from '../../src/runtime/host/index.js';
import { EdgeStats } from '../../src/edge/observe/stats.js';
import type { HandlerContext } from '../../src/edge/server/handler.js';
import { viewerBodySettings } from '../../src/edge/server/viewer-body.js';
import type { FetchResult } from '../../src/edge/pipeline/transaction.js';

/** A handler context over `plan`: a memory cache of `cacheBytes`, no geo, no access log. */
export function inProcessEdge(
  plan: ReturnType<typeof compilePlan>,
  o: { stats?: EdgeStats; functions?: FunctionHost; logger?: Logger; cacheBytes?: number } = {},
): HandlerContext {
  const logger = o.logger ?? silentLogger;
  return {
    deps: {
      clock: systemClock,
      cache: new MemoryStore({ maxBytes: o.cacheBytes ?? 1 << 28 }),
      coalescer: new Coalescer<FetchResult>(),
      origins: createOriginClient(),
      functions: o.functions ?? new FunctionHost(nullRuntime, logger),
      geo: null,
      stats: o.stats ?? new EdgeStats(),
      logger,
      popId: 'p',
      region: 'r',
      viaToken: '1.1 p.verge (Verge)',
      httpsPort: 443,
      serverTiming: false,
      background() {},
    },
    plan: () => plan,
    accessLog: () => {},
    accessLogEnabled: false,
    protocol: 'http',
    body: viewerBodySettings(),
  };
}

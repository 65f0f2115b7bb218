/**
 * @module edge/edge
 * One PoP: assembles the cache, origin client, function host, geolocation and pipeline behind
 * the viewer and admin listeners. The active plan is swapped whole; each request keeps the plan
 * it started with. A new plan goes live only after every function it references has loaded, so
 * a bad config or function is refused and the old one keeps serving.
 */
import type { Server } from 'node:http';
import type { Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { systemClock, type Clock } from '../shared/clock.js';
import { VergeError } from '../shared/errors.js';
import { createLogger, type Logger } from '../shared/log.js';
import type { FunctionRuntime } from '../shared/lambda-edge/index.js';
import { Coalescer, DiskStore, MemoryStore, TieredStore, validateInvalidation } from './cache/index.js';
import { DEFAULT_MAX_OBJECT_BYTES } from './cache/disk-store.js';
import { CacheFills } from './pipeline/cache-fill.js';
import type { CacheStore, InvalidationRequest } from './cache/types.js';
import type { EdgePlan } from './config/plan.js';
import { loadConfigFiles } from './config/load.js';
import { createOriginClient } from './origin/index.js';
import { openGeo, type GeoLookup } from './geo/index.js';
import { FunctionHost, type InvocationRecord } from './functions/function-host.js';
import { EdgeStats, Histogram, renderLabels } from './observe/stats.js';
import type { PipelineDeps } from './pipeline/deps.js';
import type { FetchResult } from './pipeline/transaction.js';
import { InvalidationFence } from './pipeline/invalidation-fence.js';
import { createAccessLog, type AccessLogSink } from './server/access-log.js';
import { clientErrorHeaders, handleRequest, type HandlerContext } from './server/handler.js';
import { listenHttp, listenHttps, type Http1Timeouts } from './server/listen.js';
import { lingerClose, requestHasBody, viewerBodySettings } from './server/viewer-body.js';
import { startAdmin, type AdminApi } from './server/admin.js';
import { EDGE_ADMIN_TOKEN_FILE, loadOrCreateAdminToken, newAdminToken } from './server/admin-token.js';
import { claimOwnPorts } from '../runtime/host/egress/policy.js';
import { RegionalServer, regionalClient } from './tier/index.js';

export { EDGE_ADMIN_TOKEN_FILE };

export interface EdgeOptions {
  /** Distribution config files (static mode). */
  configPaths?: string[];
  /** Or a plan compiled elsewhere (tests, managed mode). */
  plan?: EdgePlan;
  host?: string;
  port?: number;
  httpsPort?: number;
  tls?: { cert: string | Buffer; key: string | Buffer };
  adminHost?: string;
  /** Admin listener port; omit for none, 0 for any free port. */
  adminPort?: number;
  /**
   * The admin listener's bearer token. Default: read (or create) `adminTokenFile`, else
   * `<dataDir>/admin-token`; with neither, a random token only this process knows (`edge.adminToken`).
   */
  adminToken?: string;
  adminTokenFile?: string;
  popId?: string;
  region?: string;
  dataDir?: string;
  geoDb?: string;
  geoOverrides?: string;
  /** Set false to skip loading the geolocation database (tests that need no geo). */
  geo?: boolean;
  runtime?: FunctionRuntime;
  clock?: Clock;
  logger?: Logger;
  /** 'stdout' (default), 'off', or a file path. */
  accessLog?: string;
  cacheMaxBytes?: number;
  /** The disk tier's budget (with a dataDir). Default 4 x cacheMaxBytes. */
  cacheDiskBytes?: number;
  /**
   * The largest object the cache keeps (default 20 GiB); a larger one, or one larger than the
   * free cache, streams through to its viewer and is not stored.
   */
  cacheMaxObjectBytes?: number;
  /** Viewer bodies (server/viewer-body.ts): per-request cap (default 30 GB), budget for bytes
   * buffered for functions across all connections (default 256 MB), longest pause between two
   * chunks while the edge waits for one (default 10 s), and the slowest average a body may
   * arrive at once the grace has passed (default 1024 bytes/s after 20 s; 0 turns it off). */
  maxBodyBytes?: number;
  bodyBudgetBytes?: number;
  bodyIdleTimeoutMs?: number;
  bodyMinRateBytesPerSec?: number;
  bodyMinRateGraceMs?: number;
  /** Node's HTTP/1 clocks (server/listen.ts: headers 20 s, keep-alive idle 5 s); tests lower them. */
  http1Timeouts?: Partial<Http1Timeouts>;
  serverTiming?: boolean;
  /** With `--workers N` (src/edge/workers): this worker's number, sent as X-Verge-Worker. */
  workerId?: number;
  /**
   * With `--workers N`: the disk tier under `dataDir` is shared with the other workers (every
   * object written through to it, keys other workers stored found there) and misses are
   * collapsed across workers by this coalescer, made once the cache exists.
   */
  shared?: { coalescer(cache: CacheStore): Coalescer<FetchResult> };
  /** Managed mode's telemetry taps (src/edge/sync/telemetry.ts): called after each function invocation / access-log record; must not block. */
  onInvoke?: (r: InvocationRecord) => void;
  onAccessLog?: (record: Record<string, unknown>) => void;
  /**
   * Tiered caching (edge/tier): `regional` makes this PoP a regional edge cache that answers
   * other PoPs' misses; `tierSecret` is the secret they must send. A PoP names its regional in
   * `regional` and sends the same secret.
   */
  role?: 'pop' | 'regional';
  tierSecret?: string;
  regional?: string;
}

export interface Edge {
  readonly url: string;
  readonly httpsUrl: string | null;
  readonly adminUrl: string | null;
  /** The admin listener's bearer token (null without an admin listener). */
  readonly adminToken: string | null;
  /** The file that holds it, when it is kept in one. */
  readonly adminTokenFile: string | null;
  readonly stats: EdgeStats;
  readonly cache: CacheStore;
  /** What the admin listener answers, also without one (a worker answers its primary's). */
  readonly admin: AdminApi;
  plan(): EdgePlan;
  /** Validate, load functions, then swap. Throws (and keeps the old plan) on any problem. */
  applyPlan(plan: EdgePlan): Promise<void>;
  reload(): Promise<void>;
  invalidate(req: InvalidationRequest): number;
  /** Resolves once no background work (stale-while-revalidate refreshes) is in flight. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Above this, an object goes to the disk tier (memory holds small hot objects only). */
const MEMORY_TIER_MAX_OBJECT = 8 * 1024 * 1024;
/** Without a disk, the largest object memory keeps; larger ones stream through. */
const MEMORY_ONLY_MAX_OBJECT = 64 * 1024 * 1024;

export async function startEdge(opts: EdgeOptions): Promise<Edge> {
  const clock = opts.clock ?? systemClock;
  const popId = opts.popId ?? 'local1';
  const region = opts.region ?? 'local';
  const logger = opts.logger ?? createLogger({ base: { pop: popId } });
  const stats = new EdgeStats();
  const runtime = opts.runtime ?? (await defaultRuntime());
  const functions = new FunctionHost(runtime, logger, functionMetrics(stats, opts.onInvoke));
  const maxBytes = opts.cacheMaxBytes ?? 256 * 1024 * 1024;
  const maxObject = opts.cacheMaxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES;
  // With a disk, memory keeps small hot objects (and the headers of big ones); the disk the rest.
  const cache: CacheStore = opts.dataDir
    ? new TieredStore({
        memoryBytes: maxBytes,
        memoryMaxEntryBytes: Math.min(maxObject, MEMORY_TIER_MAX_OBJECT),
        disk: await DiskStore.open({
          dir: join(opts.dataDir, 'cache'),
          maxBytes: opts.cacheDiskBytes ?? 4 * maxBytes,
          maxEntryBytes: maxObject,
          logger,
          clock,
          shared: opts.shared !== undefined,
        }),
        ...(opts.shared ? { mode: 'write-through' as const } : {}),
      })
    : new MemoryStore({ maxBytes, maxEntryBytes: Math.min(maxObject, MEMORY_ONLY_MAX_OBJECT) });
  // The geo database is read while the configs load and the functions compile (awaited below).
  const opening: Promise<GeoLookup | null> =
    opts.geo === false && !opts.geoOverrides
      ? Promise.resolve(null)
      : openGeo({
          ...(opts.geoDb ? { dbPath: opts.geoDb } : {}),
          ...(opts.geoOverrides ? { overridesPath: opts.geoOverrides } : {}),
          ...(opts.geo === false ? { noDatabase: true } : {}),
        });
  opening.catch(() => {}); // a failure surfaces where it is awaited; this only keeps it from being "unhandled" meanwhile
  const origins = createOriginClient({ clock });
  if (opts.role === 'regional' && !opts.tierSecret)
    throw new VergeError(
      'CONFIG_INVALID',
      'a regional edge cache needs a tier secret (VERGE_TIER_SECRET) for its PoPs',
    );
  if (opts.regional !== undefined && !opts.tierSecret)
    throw new VergeError('CONFIG_INVALID', `fetching through the regional ${opts.regional} needs its tier secret (VERGE_TIER_SECRET)`); // prettier-ignore
  const regionalServer =
    opts.role === 'regional' ? new RegionalServer({ secret: opts.tierSecret!, origins, clock, logger }) : null;
  const pending = new Set<Promise<unknown>>();
  const accessLog = createAccessLog(opts.accessLog ?? 'stdout');
  const httpsPortWanted = opts.tls ? (opts.httpsPort ?? 8443) : 443;

  // Before any listener opens: a bad token file stops the start with nothing left behind.
  const adminTokenFile =
    opts.adminPort === undefined || opts.adminToken !== undefined
      ? null
      : (opts.adminTokenFile ?? (opts.dataDir ? join(opts.dataDir, EDGE_ADMIN_TOKEN_FILE) : null));
  const adminToken =
    opts.adminPort === undefined
      ? null
      : (opts.adminToken ?? (adminTokenFile ? loadOrCreateAdminToken(adminTokenFile) : newAdminToken()));

  const load = async (): Promise<EdgePlan> => {
    if (opts.plan) return opts.plan;
    if (!opts.configPaths?.length) throw new VergeError('CONFIG_INVALID', 'no distribution config: pass --config FILE');
    return (await loadConfigFiles(opts.configPaths)).plan;
  };
  let current = await load();
  await functions.activate(await functions.prepare(current));
  const geo = await opening;

  const deps: PipelineDeps = {
    clock,
    cache,
    coalescer: opts.shared ? opts.shared.coalescer(cache) : new Coalescer<FetchResult>(),
    origins,
    ...(opts.regional
      ? { regional: regionalClient({ url: opts.regional, secret: opts.tierSecret!, origins, clock, logger }) }
      : {}),
    functions,
    geo,
    stats,
    logger,
    popId,
    region,
    viaToken: `1.1 ${popId}.verge (Verge)`,
    httpsPort: httpsPortWanted,
    serverTiming: opts.serverTiming ?? false,
    workerId: opts.workerId ?? null,
    fence: new InvalidationFence(),
    fills: new CacheFills(),
    background(p) {
      pending.add(p);
      void p.finally(() => pending.delete(p));
    },
  };
  const host = opts.host ?? '0.0.0.0';
  const httpCtx: HandlerContext = {
    deps,
    plan: () => current,
    accessLog: tapAccessLog(accessLog.sink, opts.onAccessLog),
    accessLogEnabled: (opts.accessLog ?? 'stdout') !== 'off' || opts.onAccessLog !== undefined,
    protocol: 'http',
    body: viewerBodySettings(opts),
  };
  const http = await listenHttp(
    {
      host,
      port: opts.port ?? 8080,
      timeouts: opts.http1Timeouts,
      onClientError: (st, code, sock) => clientErrorHeaders(httpCtx, st, code, sock),
    },
    (req, res) => {
      if (!regionalServer || !RegionalServer.claims(req)) return handleRequest(httpCtx, req, res);
      // A tier request is a GET: a body is never read, so the connection closes after the answer
      // with a bounded lingering close (Node would otherwise drain it, however slowly it comes,
      // as the HTTP/1 listener has no whole-request timeout: server/listen.ts).
      if (requestHasBody(req)) {
        res.setHeader('Connection', 'close');
        lingerClose(res);
      }
      void regionalServer.handle(req, res);
    },
  );
  let https: Http2SecureServer | null = null;
  if (opts.tls) {
    const httpsCtx: HandlerContext = { ...httpCtx, protocol: 'https' };
    https = await listenHttps(
      {
        host,
        port: httpsPortWanted,
        timeouts: opts.http1Timeouts,
        ...opts.tls,
        onClientError: (st, code, sock) => clientErrorHeaders(httpsCtx, st, code, sock),
      },
      (req, res) => handleRequest(httpsCtx, req, res),
    );
    deps.httpsPort = (https.address() as AddressInfo).port;
  }

  const invalidate = (req: InvalidationRequest): number => {
    validateInvalidation(req);
    deps.fence!.record(req);
    const n = cache.invalidate(req);
    stats.invalidations.inc({ distribution: req.distributionId }, n);
    return n;
  };

  const adminApi: AdminApi = {
    health: () => ({
      status: 'ok',
      pop: popId,
      region,
      planVersion: current.version,
      distributions: current.distributions.length,
    }),
    metrics: () => {
      const s = cache.stats();
      return stats.render({
        verge_cache_entries: s.entries,
        verge_cache_bytes: s.bytes,
        verge_cache_max_bytes: s.maxBytes,
        // Viewer-body bytes held for functions (includeBody), against --body-budget.
        verge_viewer_body_buffered_bytes: httpCtx.body.budget.used,
        verge_viewer_body_budget_bytes: httpCtx.body.budget.maxBytes,
      });
    },
    config: () => ({
      version: current.version,
      distributions: current.distributions.map((d) => ({
        id: d.id,
        aliases: d.aliases,
        behaviors: d.behaviors.map((b) => b.pathPattern),
      })),
    }),
    invalidate: async (body) => invalidationFromBody(body, current, invalidate),
  };
  let admin: Server | null = null;
  if (opts.adminPort !== undefined && adminToken !== null) {
    admin = await startAdmin(adminApi, opts.adminHost ?? '127.0.0.1', opts.adminPort, {
      token: adminToken,
      where: adminTokenFile ? `in ${adminTokenFile}` : "known only to the edge's own process",
    });
  }

  // No function may connect to this PoP's own listeners, whatever its egress allow-list says.
  const releasePorts = claimOwnPorts(
    [http, https, admin].filter((s) => s !== null).map((s) => (s.address() as AddressInfo).port),
  );

  const bare = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  // An IPv6 literal needs brackets in a URL (RFC 3986 3.2.2).
  const hostForUrl = bare.includes(':') ? `[${bare}]` : bare;
  const edge: Edge = {
    url: `http://${hostForUrl}:${(http.address() as AddressInfo).port}`,
    httpsUrl: https ? `https://${hostForUrl}:${(https.address() as AddressInfo).port}` : null,
    adminUrl: admin ? `http://${opts.adminHost ?? '127.0.0.1'}:${(admin.address() as AddressInfo).port}` : null,
    adminToken,
    adminTokenFile,
    stats,
    cache,
    admin: adminApi,
    plan: () => current,
    async applyPlan(plan) {
      const prepared = await functions.prepare(plan);
      current = plan;
      await functions.activate(prepared);
    },
    async reload() {
      await edge.applyPlan(await load());
    },
    invalidate,
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    async close() {
      await Promise.all([closeServer(http), https ? closeServer(https) : null, admin ? closeServer(admin) : null]);
      releasePorts();
      // Fills whose viewers have gone would otherwise run until their origins finish.
      deps.fills?.stopAll();
      await Promise.allSettled([...pending]);
      await origins.close();
      await functions.close();
      await cache.close();
      await accessLog.close();
    },
  };
  return edge;
}

/**
 * The per-invocation metric tap: invocations by outcome and the duration histogram, with each
 * label set rendered (sorted, escaped) once per function version, event and outcome instead of
 * on every invocation, and the histogram looked up once per function version and event.
 */
function functionMetrics(stats: EdgeStats, tap?: (r: InvocationRecord) => void): (r: InvocationRecord) => void {
  const counted = new Map<string, string>();
  const timed = new Map<string, Histogram>();
  return (r) => {
    // Bounded like the metrics themselves; a long-lived PoP sees many function versions.
    if (counted.size > 10_000) counted.clear();
    if (timed.size > 10_000) timed.clear();
    const outcome = r.ok ? 'ok' : r.errorCode!;
    const key = `${r.functionName}\u0000${r.functionVersion}\u0000${r.eventType}`;
    const countKey = `${key}\u0000${outcome}`;
    let labels = counted.get(countKey);
    if (labels === undefined) {
      labels = renderLabels({ function: r.functionName, version: r.functionVersion, event: r.eventType, outcome });
      counted.set(countKey, labels);
    }
    stats.functionInvocations.incRendered(labels);
    let h = timed.get(key);
    if (h === undefined) {
      const k = renderLabels({ function: r.functionName, version: r.functionVersion, event: r.eventType });
      h = stats.functionDuration.get(k) ?? new Histogram();
      stats.functionDuration.set(k, h);
      timed.set(key, h);
    }
    h.observe(r.durationMs);
    tap?.(r);
  };
}

/** `{"paths": [...], "tags": [...], "distributionId"?}`: without an id, every distribution. */
function invalidationFromBody(
  body: unknown,
  plan: EdgePlan,
  invalidate: (r: InvalidationRequest) => number,
): Record<string, unknown> {
  const b = (body ?? {}) as { paths?: unknown; tags?: unknown; distributionId?: unknown };
  const paths = b.paths === undefined ? [] : b.paths;
  const tags = b.tags === undefined ? [] : b.tags;
  if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string'))
    throw new VergeError('CONFIG_INVALID', '"paths" must be an array of strings');
  if (!Array.isArray(tags) || !tags.every((p) => typeof p === 'string'))
    throw new VergeError('CONFIG_INVALID', '"tags" must be an array of strings');
  if (paths.length === 0 && tags.length === 0)
    throw new VergeError('CONFIG_INVALID', 'give at least one of "paths" or "tags"');
  const ids = b.distributionId === undefined ? plan.distributions.map((d) => d.id) : [String(b.distributionId)];
  if (b.distributionId !== undefined && !plan.distributions.some((d) => d.id === b.distributionId)) {
    throw new VergeError('CONFIG_INVALID', `no distribution "${String(b.distributionId)}" on this edge`);
  }
  let removed = 0;
  for (const distributionId of ids) removed += invalidate({ distributionId, paths, tags });
  return { status: 'Completed', distributions: ids, paths, tags, removed };
}

function tapAccessLog(sink: AccessLogSink, tap: AccessLogSink | undefined): AccessLogSink {
  if (!tap) return sink;
  return (record) => {
    sink(record);
    tap(record);
  };
}

function closeServer(s: Server | Http2SecureServer): Promise<void> {
  return new Promise((resolve) => {
    s.close(() => resolve());
    (s as Server).closeAllConnections?.();
  });
}

async function defaultRuntime(): Promise<FunctionRuntime> {
  const { createFunctionRuntime } = await import('../runtime/host/index.js');
  return createFunctionRuntime();
}

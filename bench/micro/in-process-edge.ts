/**
 * @module bench/micro/in-process-edge
 * The edge's request handler with its dependencies, in this process and without sockets, for the
 * micro benches (hit-path, function-hit, stats-lib, logger-lib): each passes what it compares
 * (stats, a function host, a logger) and drives `handleRequest` with in-memory requests, writing
 * to `InProcessResponse`s.
 */
import { Writable } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
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

const SOCKET = { remoteAddress: '127.0.0.1', remotePort: 5555 };

/** A viewer's GET of `url` as node:http hands it to the handler (no body). */
export function inProcessRequest(url: string, rawHeaders: readonly string[]): IncomingMessage {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) headers[rawHeaders[i]!.toLowerCase()] = rawHeaders[i + 1]!;
  return { url, method: 'GET', httpVersion: '1.1', rawHeaders, headers, socket: SOCKET, on() {} } as never;
}

/**
 * What the handler writes to, in place of node:http's ServerResponse: a real Writable (a body
 * from the origin or a store is piped into it, with backpressure) plus `writeHead`, keeping the
 * status and header list it was given and counting body bytes. One per request, as Node's.
 */
export class InProcessResponse extends Writable {
  status = 0;
  headerList: readonly string[] = [];
  bytes = 0;
  headersSent = false;

  writeHead(status: number, _statusText?: string, headers?: readonly string[]): this {
    this.status = status;
    this.headerList = headers ?? [];
    this.headersSent = true;
    return this;
  }

  /** The first value of a response header (case-insensitive), as the viewer would read it. */
  header(name: string): string | undefined {
    const lower = name.toLowerCase();
    for (let i = 0; i + 1 < this.headerList.length; i += 2)
      if (this.headerList[i]!.toLowerCase() === lower) return this.headerList[i + 1];
    return undefined;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.bytes += chunk.length;
    cb();
  }

  /** Resolves with this response once its body is finished; rejects if it was cut (destroyed). */
  done(): Promise<this> {
    return new Promise((resolve, reject) => {
      if (this.writableFinished) return resolve(this);
      this.once('finish', () => resolve(this));
      this.once('close', () => {
        if (!this.writableFinished) reject(new Error(`response cut (status ${this.status}, ${this.bytes} bytes)`));
      });
    });
  }

  /** The handler's view of it. */
  get asServerResponse(): ServerResponse {
    return this as unknown as ServerResponse;
  }
}

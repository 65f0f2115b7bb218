/**
 * @module edge/sync/control-client
 * The edge's side of the replication protocol's transport (src/shared/replication/protocol.ts):
 * one method per route, JSON over HTTP with the edge's bearer token, and the watch stream read
 * as server-sent events. Every failure becomes a REPLICATION_FAILED VergeError that names the
 * route and the status, so the sync loop can log it and back off. Knows nothing about plans.
 * Given several control replicas' URLs it talks to one at a time; `failover(error)` moves it to
 * the next when the current one is down (the sync loop calls it), so every route follows.
 */
import { request, type Dispatcher } from 'undici';
import { VergeError } from '../../shared/errors.js';
import type {
  AckRequest,
  InvalidationAck,
  LogBatch,
  MetricBatch,
  RegisterRequest,
  Snapshot,
} from '../../shared/replication/protocol.js';
import { SseParser, type SseEvent } from './sse.js';

export interface ControlClientOptions {
  /**
   * The control plane's base URL, e.g. `http://127.0.0.1:8080` (a trailing `/api/v1` is fine), or
   * several replicas' URLs (they share one store, so any of them answers for the PoP's token).
   */
  url: string | readonly string[];
  token: string;
  /** Per-request timeout for everything but the watch stream (default 10 s). */
  timeoutMs?: number;
}

/** Bundles above this are refused before they are buffered (Lambda@Edge's limit is 50 MB). */
const MAX_BLOB_BYTES = 64 * 1024 * 1024;

export class ControlClient {
  /** Every replica's URL as given, in order. */
  readonly urls: readonly string[];
  readonly #bases: readonly string[];
  #at = 0;
  /** A request succeeded since the last move: the next move is news (see failover). */
  #okSinceMove = true;
  readonly #token: string;
  readonly #timeoutMs: number;

  constructor(opts: ControlClientOptions) {
    this.urls = typeof opts.url === 'string' ? [opts.url] : [...opts.url];
    if (this.urls.length === 0) throw new VergeError('VALIDATION_FAILED', 'no control plane URL');
    this.#bases = this.urls.map((u) => u.replace(/\/+$/, '').replace(/\/api\/v1$/, '') + '/api/v1/edge');
    this.#token = opts.token;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** The edge API of the replica in use. */
  get base(): string {
    return this.#bases[this.#at]!;
  }
  /** The URL of the replica in use. */
  get url(): string {
    return this.urls[this.#at]!;
  }

  /**
   * After `error` from the replica in use: when it says that replica is down (unreachable, cut
   * off, silent past the idle bound, or a 5xx) and there is another, move to the next one and
   * return both URLs. A 4xx is an answer (the replica is up), so it stays. `first` is false
   * when nothing succeeded since the previous move (every replica down: the caller need not log
   * each turn round the list).
   */
  failover(error: unknown): { from: string; to: string; first: boolean } | null {
    if (this.urls.length < 2 || !(error instanceof VergeError) || error.code !== 'REPLICATION_FAILED') return null;
    const d = error.details as { status?: number; base?: string } | undefined;
    if (d?.status !== undefined && d.status < 500) return null;
    // Several callers (the sync loop, telemetry) may see the same replica fail: move once.
    if (d?.base !== this.base) return null;
    const from = this.url;
    this.#at = (this.#at + 1) % this.urls.length;
    const first = this.#okSinceMove;
    this.#okSinceMove = false;
    return { from, to: this.url, first };
  }

  register(req: RegisterRequest): Promise<unknown> {
    return this.#json('POST', '/register', req);
  }
  async snapshot(version: number): Promise<Snapshot> {
    return (await this.#json('GET', `/snapshots/${version}`)) as Snapshot;
  }
  bundle(sha256: string): Promise<Buffer> {
    return this.#bytes(`/bundles/${encodeURIComponent(sha256)}`);
  }
  kvs(sha256: string): Promise<Buffer> {
    return this.#bytes(`/kvs/${encodeURIComponent(sha256)}`);
  }
  async ack(req: AckRequest): Promise<void> {
    await this.#json('POST', '/acks', req);
  }
  async invalidationAck(id: string, ack: InvalidationAck): Promise<void> {
    await this.#json('POST', `/invalidations/${encodeURIComponent(id)}/ack`, ack);
  }
  async logs(batch: LogBatch): Promise<void> {
    await this.#json('POST', '/logs', batch);
  }
  async metrics(batch: MetricBatch): Promise<void> {
    await this.#json('POST', '/metrics', batch);
  }

  /**
   * Open `GET /watch?after=N` and call `onEvent` for each event until the stream ends, the
   * signal aborts, or nothing (not even a ping) arrives for `idleMs` (the server pings every
   * 15 s, so a silent stream is a dead one). Resolves when the stream ends; rejects on failure.
   */
  async watch(
    after: number,
    onEvent: (ev: SseEvent) => void,
    opts: { signal: AbortSignal; idleMs?: number; onOpen?: () => void },
  ): Promise<void> {
    const idleMs = opts.idleMs ?? 45_000;
    // A signal aborted before this call never fires 'abort' again: without this check a stop()
    // that lands while register() is in flight would leave the stream open, kept alive by the
    // server's pings, and stop() waiting on it for ever (it hung CI).
    if (opts.signal.aborted) return;
    const ctl = new AbortController();
    const abort = () => ctl.abort();
    opts.signal.addEventListener('abort', abort, { once: true });
    let idle: NodeJS.Timeout | undefined;
    const base = this.base;
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => ctl.abort(new Error(`no event for ${idleMs} ms`)), idleMs);
    };
    try {
      arm();
      const res = await this.#send('GET', `/watch?after=${after}`, undefined, ctl.signal, 'text/event-stream', 0);
      opts.onOpen?.();
      const parser = new SseParser();
      const decoder = new TextDecoder();
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        arm();
        for (const ev of parser.push(decoder.decode(chunk, { stream: true }))) onEvent(ev);
      }
    } catch (e) {
      if (opts.signal.aborted) return;
      throw e instanceof VergeError ? e : fail(base, 'GET /watch', (e as Error).message, e);
    } finally {
      clearTimeout(idle);
      opts.signal.removeEventListener('abort', abort);
    }
  }

  async #json(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await this.#send(method, path, body, AbortSignal.timeout(this.#timeoutMs), 'application/json');
    const text = await res.body.text();
    if (!text) return null;
    try {
      return JSON.parse(text);
    } catch (e) {
      throw fail(this.base, `${method} ${path}`, 'the answer is not JSON', e);
    }
  }

  async #bytes(path: string): Promise<Buffer> {
    const res = await this.#send('GET', path, undefined, AbortSignal.timeout(this.#timeoutMs * 3), '*/*');
    const declared = Number(res.headers['content-length'] ?? '0');
    if (declared > MAX_BLOB_BYTES) {
      res.body.destroy();
      throw fail(this.base, `GET ${path}`, `${declared} bytes is over the ${MAX_BLOB_BYTES}-byte limit`);
    }
    try {
      return Buffer.from(await res.body.arrayBuffer());
    } catch (e) {
      // A connection cut mid-body: the blob is truncated, which the hash check would catch too.
      throw fail(this.base, `GET ${path}`, `download cut short: ${(e as Error).message}`, e);
    }
  }

  async #send(
    method: string,
    path: string,
    body: unknown,
    signal: AbortSignal,
    accept: string,
    bodyTimeout?: number,
  ): Promise<Dispatcher.ResponseData> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}`, accept };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const base = this.base;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(base + path, {
        method: method as Dispatcher.HttpMethod,
        headers,
        signal,
        ...(bodyTimeout === undefined ? {} : { bodyTimeout }),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (e) {
      const err = e as { code?: string; message?: string; cause?: { code?: string } };
      throw fail(
        base,
        `${method} ${path}`,
        `control plane unreachable (${err.cause?.code ?? err.code ?? err.message})`,
        e,
      );
    }
    if (res.statusCode < 500) this.#okSinceMove = true;
    if (res.statusCode >= 300) {
      const text = await res.body.text().catch(() => '');
      let message = text.slice(0, 300);
      try {
        message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
      } catch {
        // not JSON: keep the text
      }
      throw fail(
        base,
        `${method} ${path}`,
        `HTTP ${res.statusCode}${message ? `: ${message}` : ''}`,
        undefined,
        res.statusCode,
      );
    }
    return res;
  }
}

/** `base` is the replica asked, so a failure moves the client off that replica only once. */
function fail(base: string, route: string, reason: string, cause?: unknown, status?: number): VergeError {
  return new VergeError('REPLICATION_FAILED', `${route}: ${reason}`, {
    ...(cause === undefined ? {} : { cause }),
    details: { route, base, ...(status === undefined ? {} : { status }) },
  });
}

/**
 * @module edge/tier/regional-server
 * The regional edge cache's side (`verge edge --role regional`): answers PoPs' tier requests
 * (./protocol.ts) from a cache of its own, keyed by what the origin would be asked (the origin,
 * the path and query, and every header the PoP forwards, less those that differ per viewer or
 * per hop), and collapses concurrent misses for one key into one origin fetch, so three PoPs
 * missing at once cost the origin one request per region. A request without the shared secret
 * is refused (403): a regional is no open proxy. It stores what the origin allows a shared cache
 * to keep for an explicit lifetime (`s-maxage`, `max-age`; not `no-store`, `private`,
 * `no-cache`), in memory up to `maxBytes`, least recently used out first.
 *
 * An answer larger than an eighth of that is never held whole (issue 12: objects up to 20 GB pass
 * through): it streams from the origin to the PoP whose request fetched it, at that PoP's pace
 * (one of unknown length is read up to that eighth first, and kept whole if it ends there). Only one reader can follow such a stream, so a request that collapsed onto it
 * makes its own origin fetch instead; large objects are what the PoPs' disk tiers keep.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { Readable, pipeline } from 'node:stream';
import { toVergeError } from '../../shared/errors.js';
import type { CfHeaders } from '../../shared/lambda-edge/index.js';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import { readBody, streamBody, type StreamBody } from '../body/index.js';
import type { OriginClient } from '../origin/types.js';
import { TIER_AUTH, TIER_ERROR, TIER_STATUS, TIER_TARGET, decodeTarget } from './protocol.js';
import { sameSecret } from './regional-client.js';

/** Per viewer or per hop: never part of what identifies the object. Conditionals are the regional's own business. */
const NOT_KEYED = new Set([
  TIER_AUTH,
  TIER_TARGET,
  'via',
  'x-forwarded-for',
  'x-amz-cf-id',
  'traceparent',
  'tracestate',
  'surrogate-capability',
  'if-none-match',
  'if-modified-since',
  'if-match',
  'if-unmodified-since',
  'if-range',
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
]);
const STORABLE = new Set([200, 203, 204, 300, 301, 308, 404, 410]);

interface Entry {
  status: number;
  statusText: string;
  headers: CfHeaders;
  body: Buffer;
  storedAt: number;
  /** ms the origin allows it to be served, counted from `storedAt`. */
  ttlMs: number;
}

/** An answer too large to hold, streaming to the one request that takes it (see the module doc). */
interface Passing {
  status: number;
  statusText: string;
  headers: CfHeaders;
  stream: StreamBody;
  taken: boolean;
}

export interface RegionalServerOptions {
  secret: string;
  origins: OriginClient;
  clock: Clock;
  logger: Logger;
  /** Default 256 MiB. */
  maxBytes?: number;
}

export interface RegionalStats {
  hits: number;
  misses: number;
  originFetches: number;
  collapsed: number;
  refused: number;
}

export class RegionalServer {
  readonly stats: RegionalStats = { hits: 0, misses: 0, originFetches: 0, collapsed: 0, refused: 0 };
  readonly #o: RegionalServerOptions;
  readonly #maxBytes: number;
  readonly #entries = new Map<string, Entry>();
  readonly #inflight = new Map<string, Promise<Entry | Passing>>();
  #bytes = 0;

  constructor(o: RegionalServerOptions) {
    this.#o = o;
    this.#maxBytes = o.maxBytes ?? 256 * 1024 * 1024;
  }

  /** True when the request is a tier request (the edge's listener gives it here, not to the pipeline). */
  static claims(req: IncomingMessage): boolean {
    return req.headers[TIER_TARGET] !== undefined;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const auth = req.headers[TIER_AUTH];
      if (typeof auth !== 'string' || !sameSecret(auth, this.#o.secret)) {
        this.stats.refused++;
        return send(res, 403, { [TIER_STATUS]: 'refused' }, 'not a PoP of this regional edge cache\n');
      }
      if (req.method !== 'GET') return send(res, 405, { allow: 'GET' }, 'a regional edge cache fetches GETs only\n');
      const target = decodeTarget(String(req.headers[TIER_TARGET]));
      const headers: CfHeaders = {};
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const key = req.rawHeaders[i]!;
        const lower = key.toLowerCase();
        if (lower === TIER_AUTH || lower === TIER_TARGET || lower.startsWith('if-') || lower === 'connection') continue;
        (headers[lower] ??= []).push({ key, value: req.rawHeaders[i + 1]! });
      }
      const q = (req.url ?? '/').indexOf('?');
      const uri = q < 0 ? (req.url ?? '/') : req.url!.slice(0, q);
      const querystring = q < 0 ? '' : req.url!.slice(q + 1);
      const key = keyOf(`${target.protocol}://${target.domainName}:${target.port}${target.originPath}`, uri, querystring, headers); // prettier-ignore
      const now = this.#o.clock.now();
      const have = this.#entries.get(key);
      if (have && now - have.storedAt < have.ttlMs) {
        this.stats.hits++;
        this.#entries.delete(key); // most recently used last
        this.#entries.set(key, have);
        return reply(res, have, 'hit', now);
      }
      this.stats.misses++;
      let pending = this.#inflight.get(key);
      if (pending) this.stats.collapsed++;
      else {
        pending = this.#fetch(key, target, { method: 'GET', uri, querystring, headers });
        this.#inflight.set(key, pending);
        void pending.then(
          () => this.#inflight.delete(key),
          () => this.#inflight.delete(key),
        );
      }
      let got = await pending;
      if ('stream' in got) {
        // Collapsed onto an answer only one request can read: the first takes it, others fetch.
        if (got.taken) got = await this.#fetch(key, target, { method: 'GET', uri, querystring, headers });
        if ('stream' in got) {
          got.taken = true;
          return replyStream(res, got);
        }
      }
      reply(res, got, 'miss', this.#o.clock.now());
    } catch (e) {
      const err = toVergeError(e);
      if (!res.headersSent) send(res, 502, { [TIER_ERROR]: err.code }, `${err.message}\n`);
      else res.destroy();
    }
  }

  async #fetch(
    key: string,
    target: ReturnType<typeof decodeTarget>,
    req: Parameters<OriginClient['fetch']>[1],
  ): Promise<Entry | Passing> {
    this.stats.originFetches++;
    const r = await this.#o.origins.fetch(target, { ...req, streamResponse: true });
    // The tier's own headers say what the regional did: an origin sending them would speak for
    // it (a 504 for a good object, or a PoP turning its regional off).
    for (const h of [TIER_ERROR, TIER_STATUS, TIER_AUTH, TIER_TARGET]) delete r.headers[h];
    const small = this.#maxBytes / 8;
    let body: Buffer | StreamBody = r.body;
    if (!Buffer.isBuffer(body)) {
      if (body.length === null) body = await readUpTo(body, small);
      else if (body.length <= small) body = await readBody(body, body.length);
    }
    if (!Buffer.isBuffer(body))
      return { status: r.status, statusText: r.statusText, headers: r.headers, stream: body, taken: false };
    const e: Entry = { status: r.status, statusText: r.statusText, headers: r.headers, body, storedAt: this.#o.clock.now(), ttlMs: 0 }; // prettier-ignore
    e.ttlMs = STORABLE.has(r.status) ? sharedTtlMs(r.headers) : 0;
    if (e.ttlMs > 0 && body.length <= this.#maxBytes / 8) this.#store(key, e);
    return e;
  }

  #store(key: string, e: Entry): void {
    const old = this.#entries.get(key);
    if (old) this.#bytes -= old.body.length;
    this.#entries.delete(key);
    this.#entries.set(key, e);
    this.#bytes += e.body.length;
    for (const [k, v] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(k);
      this.#bytes -= v.body.length;
    }
  }
}

/**
 * A body of unknown length read up to `limit` bytes: the whole of it when it ends within them,
 * else one stream of every byte (those read, then the rest as it arrives).
 */
async function readUpTo(body: StreamBody, limit: number): Promise<Buffer | StreamBody> {
  const it = body.open()[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const read: Buffer[] = [];
  let size = 0;
  while (size <= limit) {
    const next = await it.next();
    if (next.done) return Buffer.concat(read, size);
    read.push(next.value);
    size += next.value.length;
  }
  async function* rest(): AsyncGenerator<Buffer> {
    try {
      yield* read.splice(0);
      for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
    } finally {
      await it.return?.(); // a reader that left early stops the origin's transfer
    }
  }
  return streamBody(Readable.from(rest(), { objectMode: false }), null);
}

function keyOf(origin: string, uri: string, query: string, headers: CfHeaders): string {
  const h = createHash('sha256').update(`${origin}\n${uri}\n${query}\n`);
  for (const name of Object.keys(headers).sort()) {
    if (NOT_KEYED.has(name)) continue;
    h.update(`${name}:${headers[name]!.map((x) => x.value).join('\u0000')}\n`);
  }
  return h.digest('hex');
}

/** The lifetime a shared cache may give the response, in ms; 0 when it may not store it. */
export function sharedTtlMs(headers: CfHeaders): number {
  const cc = (headers['cache-control'] ?? []).map((x) => x.value.toLowerCase()).join(',');
  if (/(^|[\s,])(no-store|private|no-cache)([\s,=]|$)/.test(cc)) return 0;
  const m = /(?:^|[\s,])s-maxage\s*=\s*"?(\d+)/.exec(cc) ?? /(?:^|[\s,])max-age\s*=\s*"?(\d+)/.exec(cc);
  if (!m) return 0;
  const age = Number(headers['age']?.[0]?.value ?? 0) || 0;
  return Math.max(0, Number(m[1]) - age) * 1000;
}

function reply(res: ServerResponse, e: Entry, how: 'hit' | 'miss', now: number): void {
  const out: Array<[string, string]> = [];
  for (const [lower, list] of Object.entries(e.headers)) {
    if (lower === 'age' || lower === 'content-length' || lower === 'transfer-encoding') continue;
    for (const x of list) out.push([x.key ?? lower, x.value]);
  }
  const prior = Number(e.headers['age']?.[0]?.value ?? 0) || 0;
  out.push(['Age', String(prior + Math.floor((now - e.storedAt) / 1000))], [TIER_STATUS, how], ['Content-Length', String(e.body.length)]); // prettier-ignore
  res.writeHead(e.status, e.statusText || undefined, out.flat());
  res.end(e.body);
}

/** A streamed answer: its length when the origin announced one; cut off (not ended) if the origin fails. */
function replyStream(res: ServerResponse, p: Passing): void {
  const out: Array<[string, string]> = [];
  for (const [lower, list] of Object.entries(p.headers)) {
    if (lower === 'content-length' || lower === 'transfer-encoding') continue;
    for (const x of list) out.push([x.key ?? lower, x.value]);
  }
  out.push([TIER_STATUS, 'miss']);
  if (p.stream.length !== null) out.push(['Content-Length', String(p.stream.length)]);
  res.writeHead(p.status, p.statusText || undefined, out.flat());
  // pipeline destroys `res` when the origin fails mid-body, and the origin's stream when the PoP leaves.
  pipeline(p.stream.open(), res, () => {});
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, text: string): void {
  res.writeHead(status, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}

/**
 * @module test/harness/pattern-origin
 * An origin for large objects (issue 12) that never holds one: bodies are a seeded pattern made
 * of slices of one 1 MiB block, so any size costs nothing to send and any byte range can be
 * recomputed to check what a viewer got. Paths are `/obj/<seed>/<bytes>/<mode>`:
 * - `plain`: the whole body, as fast as the client takes it (with backpressure);
 * - `chunked`: the same without a Content-Length (an answer of unknown length);
 * - `hold`: the first `HOLD` bytes, then nothing until `release(path)`;
 * - `die`: the first request sends half the body and resets the connection; later ones are plain.
 * Every answer is cacheable for an hour, with an ETag and a Last-Modified. `hashedGet` is the
 * matching viewer: it hashes what it reads instead of keeping it.
 * Also used by bench/edge-streaming.ts.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { request, type Dispatcher } from 'undici';

const MiB = 1024 * 1024;
/** How far each MiB block's slice of the base shifts (so no two neighbouring blocks are alike). */
const SHIFT = 4096;
/** Bytes a `hold` object sends before it waits. */
export const HOLD = MiB;

const bases = new Map<number, Buffer>();

/** The pattern's base block for a seed: MiB + SHIFT bytes of xorshift output. */
function base(seed: number): Buffer {
  let b = bases.get(seed);
  if (b) return b;
  b = Buffer.allocUnsafe(MiB + SHIFT);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < b.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b.writeUInt32LE(x >>> 0, i);
  }
  bases.set(seed, b);
  return b;
}

/**
 * Where block `block` starts in the base. `block * 61 % SHIFT` alone repeats every SHIFT blocks,
 * 4 GiB: byte 2^32 + n would equal byte n, and a position cut to 32 bits would read the right
 * bytes by luck (it did, until issue 12's 4 GiB test checked). The second term moves each 4 GiB
 * period by 7 more, so the pattern does not repeat within the first 2 TiB.
 */
function shiftOf(block: number): number {
  return (block * 61 + Math.floor(block / SHIFT) * 7) % SHIFT;
}

/** Bytes `start..end-1` of the pattern, as slices of the base (no copy); each slice ≤ 1 MiB. */
export function* patternSlices(seed: number, start: number, end: number): Generator<Buffer> {
  const b = base(seed);
  let p = start;
  while (p < end) {
    const block = Math.floor(p / MiB);
    const off = p - block * MiB;
    const n = Math.min(MiB - off, end - p);
    const s = shiftOf(block);
    yield b.subarray(s + off, s + off + n);
    p += n;
  }
}

/** Bytes `start..end-1` of the pattern as one buffer (small ranges only). */
export function patternBytes(seed: number, start: number, end: number): Buffer {
  return Buffer.concat([...patternSlices(seed, start, end)]);
}

const hashes = new Map<string, string>();

/** SHA-256 of a whole pattern body (memoized). */
export function patternHash(seed: number, size: number): string {
  const k = `${seed}/${size}`;
  let h = hashes.get(k);
  if (h === undefined) {
    const hash = createHash('sha256');
    for (const s of patternSlices(seed, 0, size)) hash.update(s);
    h = hash.digest('hex');
    hashes.set(k, h);
  }
  return h;
}

export interface PatternOrigin {
  port: number;
  /** Requests per path. */
  hits(path: string): number;
  /** Whether the body of `path` was sent to its end (by any request). */
  finished(path: string): boolean;
  /** Let a `hold` object send the rest. */
  release(path: string): void;
  close(): Promise<void>;
}

export async function startPatternOrigin(): Promise<PatternOrigin> {
  const hits = new Map<string, number>();
  const finished = new Set<string>();
  const held = new Map<string, { promise: Promise<void>; release(): void }>();
  const died = new Set<string>();
  const sockets = new Set<Socket>();
  const hold = (path: string) => {
    let h = held.get(path);
    if (!h) {
      let release!: () => void;
      const promise = new Promise<void>((r) => (release = r));
      h = { promise, release };
      held.set(path, h);
    }
    return h;
  };

  const send = async (res: ServerResponse, seed: number, start: number, end: number): Promise<boolean> => {
    for (const s of patternSlices(seed, start, end)) {
      if (res.destroyed) return false;
      if (!res.write(s)) {
        const ok = await new Promise<boolean>((r) => {
          const done = (v: boolean) => {
            res.off('drain', onDrain);
            res.off('close', onClose);
            r(v);
          };
          const onDrain = () => done(true);
          const onClose = () => done(false);
          res.on('drain', onDrain);
          res.on('close', onClose);
        });
        if (!ok) return false;
      }
    }
    return true;
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const m = /^\/obj\/(\d+)\/(\d+)\/(plain|chunked|hold|die)$/.exec(path);
    if (!m) return void res.writeHead(404).end();
    const seed = Number(m[1]);
    const size = Number(m[2]);
    const mode = m[3]!;
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      ...(mode === 'chunked' ? {} : { 'content-length': String(size) }),
      'cache-control': 'max-age=3600',
      etag: `"${seed}-${size}"`,
      'last-modified': 'Wed, 01 Jan 2025 00:00:00 GMT',
    });
    void (async () => {
      if (mode === 'die' && !died.has(path)) {
        died.add(path);
        await send(res, seed, 0, Math.floor(size / 2));
        // Let the bytes leave before the reset, so the edge has started the object.
        setTimeout(() => req.socket.destroy(), 50);
        return;
      }
      let from = 0;
      if (mode === 'hold') {
        if (!(await send(res, seed, 0, Math.min(HOLD, size)))) return;
        await hold(path).promise;
        from = Math.min(HOLD, size);
      }
      if (await send(res, seed, from, size)) res.end(() => finished.add(path));
    })();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    hits: (p) => hits.get(p) ?? 0,
    finished: (p) => finished.has(p),
    release: (p) => hold(p).release(),
    close: () =>
      new Promise<void>((r) => {
        for (const h of held.values()) h.release();
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** What a viewer read: the status, headers, how many bytes and their SHA-256, and any cut-off. */
export interface Got {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  bytes: number;
  hash: string;
  /** The body failed before its end (the edge cut the connection). */
  error: Error | null;
}

export interface GetOpts {
  headers?: Record<string, string>;
  /** Called once `n` bytes have arrived, before reading on. */
  at?: { n: number; then: () => Promise<void> | void };
  /** Read this many bytes, then drop the connection. */
  leaveAfter?: number;
}

/** GET `base + path` with Host test.local, hashing the body as it arrives (never keeping it). */
export async function hashedGet(base: string, path: string, agent: Dispatcher, o: GetOpts = {}): Promise<Got> {
  const res = await request(base + path, {
    dispatcher: agent,
    headers: { host: 'test.local', 'accept-encoding': 'identity', ...o.headers },
  });
  const hash = createHash('sha256');
  let bytes = 0;
  let error: Error | null = null;
  let atDone = o.at === undefined;
  try {
    for await (const c of res.body) {
      const chunk = c as Buffer;
      hash.update(chunk);
      bytes += chunk.length;
      if (!atDone && bytes >= o.at!.n) {
        atDone = true;
        await o.at!.then();
      }
      if (o.leaveAfter !== undefined && bytes >= o.leaveAfter) {
        res.body.destroy();
        break;
      }
    }
  } catch (e) {
    error = e as Error;
  }
  return { status: res.statusCode, headers: res.headers, bytes, hash: hash.digest('hex'), error };
}

/** SHA-256 of bytes `start..end-1` of a pattern. */
export function patternRangeHash(seed: number, start: number, end: number): string {
  const h = createHash('sha256');
  for (const s of patternSlices(seed, start, end)) h.update(s);
  return h.digest('hex');
}

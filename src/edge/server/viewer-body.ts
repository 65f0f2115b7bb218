/**
 * @module edge/server/viewer-body
 * A viewer's request body, read only when the pipeline asks for it (issue 9), and streamed to
 * the origin rather than held (issue 12). The request's method, distribution and behavior are
 * checked first (`receive`), so a refused request never has its body read: the answer goes out
 * and the connection is closed, and a viewer that sent `Expect: 100-continue` is never told to
 * send it.
 *
 * A body the behavior forwards flows to the origin as it arrives, with backpressure: the edge
 * holds a stream buffer of it, not the body. Only what a function asks for (`includeBody`: the
 * first 40 KB at viewer-request, 1 MB at origin-request, spec 1.9) is buffered, and those bytes
 * are charged to a budget shared by every connection of the PoP (503 when full), returned when
 * the response is done. Every body is bounded by a per-request cap (413; CloudFront's 30 GB by
 * default) and by two clocks that run only while the edge is waiting for the viewer's bytes (408),
 * nginx's client_body_timeout plus Apache mod_reqtimeout's MinRate: an idle timeout between
 * chunks, and a minimum average rate after a grace period. A viewer whose bytes the origin is
 * slow to take is not the one timed out, and no clock bounds the body's total time: a large
 * upload may take as long as it needs while it keeps moving (server/listen.ts turns off
 * Node's whole-request timeout for that reason).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { VergeError } from '../../shared/errors.js';
import type { PendingBody } from '../pipeline/transaction.js';

export interface ViewerBodyLimits {
  /** The largest body one request may send (413 past it). */
  maxBodyBytes: number;
  /** The longest pause between two chunks of a body, while the edge waits for one (408 past it). */
  idleTimeoutMs: number;
  /**
   * The slowest average a body may arrive at, in bytes per second of time the edge spent waiting
   * for it, once `minRateGraceMs` of waiting have passed (408 below it); 0 turns the check off.
   * As mod_reqtimeout's MinRate: the viewer has `minRateGraceMs` plus one second per
   * `minRateBytesPerSec` bytes received, so a trickle that beats the idle timeout still ends.
   */
  minRateBytesPerSec: number;
  minRateGraceMs: number;
}

/**
 * Defaults: CloudFront's 30 GB per request (spec 4.3, the largest GET/POST/PUT object), a
 * 256 MB budget for bytes buffered for functions across all connections, 10 s between chunks,
 * and at least 1 KiB/s on average after 20 s (mod_reqtimeout's default is 500 B/s after 20 s;
 * 1 KiB/s still lets a 30 GB body take a year, so it only ends viewers that barely send).
 */
export const DEFAULT_MAX_BODY_BYTES = 30 * 1024 * 1024 * 1024;
export const DEFAULT_BODY_BUDGET_BYTES = 256 * 1024 * 1024;
export const DEFAULT_BODY_IDLE_TIMEOUT_MS = 10_000;
export const DEFAULT_BODY_MIN_RATE_BYTES_PER_SEC = 1024;
export const DEFAULT_BODY_MIN_RATE_GRACE_MS = 20_000;

/** Bytes of viewer bodies buffered across every connection of a PoP, against a fixed budget. */
export class BodyBudget {
  #used = 0;
  constructor(readonly maxBytes: number) {}
  get used(): number {
    return this.#used;
  }
  /** Take `n` bytes if they fit; false (and nothing taken) if not. */
  tryReserve(n: number): boolean {
    if (this.#used + n > this.maxBytes) return false;
    this.#used += n;
    return true;
  }
  release(n: number): void {
    this.#used = Math.max(0, this.#used - n);
  }
}

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

/** Does the request carry a body (RFC 9112 6.3; RFC 9113 8.1 for HTTP/2)? */
export function requestHasBody(req: Req): boolean {
  const h2stream = (req as Http2ServerRequest).stream as Http2ServerRequest['stream'] | undefined;
  if (h2stream) return !h2stream.endAfterHeaders;
  const cl = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (cl !== undefined && cl !== '0');
}

/** The body of `req`, unread until `peek()` or `stream()`; `res` answers `Expect: 100-continue` then. */
export function viewerBody(req: Req, res: Res, limits: ViewerBodyLimits, budget: BodyBudget): PendingBody {
  const cl = req.headers['content-length'];
  const declared = cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : null;
  let source: BodyStream | null = null;
  let reserved = 0;
  let peeked = false;
  let handedOut = false;
  const release = () => {
    budget.release(reserved);
    reserved = 0;
  };
  // Returned when the exchange is over, however it ended (answered, reset, crashed).
  res.once('close', () => {
    release();
    // An origin that answered before taking the whole body leaves the viewer's stream open.
    if (source && !source.destroyed && !source.ended) source.destroy();
  });
  const open = (): BodyStream => {
    if (source) return source;
    if (declared !== null && declared > limits.maxBodyBytes) throw tooLarge(limits.maxBodyBytes, declared);
    source = new BodyStream(req, declared, limits);
    // Only now is the viewer told to go ahead (RFC 9110 10.1.1): a refused request never was.
    if (/100-continue/i.test(String(req.headers['expect'] ?? ''))) res.writeContinue();
    return source;
  };
  return {
    declaredLength: declared,
    get complete() {
      return source !== null && source.ended;
    },
    get received() {
      return source?.received ?? 0;
    },
    check() {
      if (declared !== null && declared > limits.maxBodyBytes) throw tooLarge(limits.maxBodyBytes, declared);
    },
    peek(limit: number): Promise<{ bytes: Buffer; ended: boolean }> {
      if (peeked || handedOut) return Promise.reject(new Error('viewer body: peek() after peek() or stream()'));
      peeked = true;
      let s: BodyStream;
      try {
        s = open();
      } catch (e) {
        return Promise.reject(e as Error);
      }
      return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = (err: Error | null, ended: boolean) => {
          s.off('data', onData);
          s.off('end', onEnd);
          s.off('error', onError);
          if (err) {
            release();
            return reject(err);
          }
          const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
          // The bytes past the peek go back to the stream, which then continues to the origin.
          if (!ended && bytes.length > 0) s.unshift(bytes);
          resolve({ bytes, ended });
        };
        const onData = (c: Buffer) => {
          if (!budget.tryReserve(c.length)) {
            s.destroy();
            return done(budgetFull(budget), false);
          }
          reserved += c.length;
          chunks.push(c);
          size += c.length;
          if (size > limit) {
            s.pause();
            done(null, false);
          }
        };
        const onEnd = () => done(null, true);
        const onError = (e: Error) => done(e, false);
        s.on('data', onData);
        s.once('end', onEnd);
        s.once('error', onError);
      });
    },
    stream(): Readable {
      if (handedOut) throw new Error('viewer body: stream() called twice');
      handedOut = true;
      return open();
    },
  };
}

/**
 * The viewer's bytes as a Readable with backpressure: `req` is read only while the consumer
 * wants more, and the idle timer runs only then (a viewer is not timed out for bytes the edge
 * did not ask for). Fails with REQUEST_BODY_TOO_LARGE past the cap, REQUEST_BODY_TIMEOUT on a
 * stall, a trickle under the minimum rate, or a hang-up, REQUEST_MALFORMED when fewer bytes than
 * declared arrive.
 */
class BodyStream extends Readable {
  received = 0;
  ended = false;
  readonly #req: Req;
  readonly #declared: number | null;
  readonly #limits: ViewerBodyLimits;
  #timer: NodeJS.Timeout | null = null;
  /** The rate check: time waited for the viewer before the current wait, and when that began. */
  #rateTimer: NodeJS.Timeout | null = null;
  #waitedMs = 0;
  #waitingSince = 0;
  #attached = false;

  constructor(req: Req, declared: number | null, limits: ViewerBodyLimits) {
    super({ highWaterMark: 64 * 1024 });
    // A stall or a hang-up can fail the body while nobody reads it (a function is running): the
    // reader that comes next sees the error; until then it must not crash the process.
    this.on('error', () => {});
    this.#req = req;
    this.#declared = declared;
    this.#limits = limits;
  }

  #onData = (c: Buffer): void => {
    this.received += c.length;
    if (this.received > this.#limits.maxBodyBytes) {
      this.destroy(tooLarge(this.#limits.maxBodyBytes, null));
      return;
    }
    if (this.#declared !== null && this.received > this.#declared) {
      this.destroy(new VergeError('REQUEST_MALFORMED', 'the body exceeds its Content-Length'));
      return;
    }
    if (!this.push(c)) {
      this.#req.pause();
      this.#disarm();
    } else this.#timer?.refresh();
  };
  #onEnd = (): void => {
    this.#disarm();
    if (this.#declared !== null && this.received < this.#declared) {
      this.destroy(
        new VergeError('REQUEST_MALFORMED', `the body ended after ${this.received} of ${this.#declared} bytes`),
      );
      return;
    }
    this.ended = true;
    this.push(null);
  };
  #onAborted = (): void => {
    this.destroy(new VergeError('REQUEST_BODY_TIMEOUT', 'the viewer closed the connection before the body ended'));
  };

  override _read(): void {
    if (!this.#attached) {
      this.#attached = true;
      this.#req.on('data', this.#onData);
      this.#req.once('end', this.#onEnd);
      this.#req.once('aborted', this.#onAborted);
      this.#req.once('error', this.#onAborted);
    }
    this.#arm();
    this.#req.resume();
  }

  #arm(): void {
    if (this.#timer) return void this.#timer.refresh();
    this.#waitingSince = performance.now();
    this.#timer = setTimeout(() => {
      this.destroy(
        new VergeError(
          'REQUEST_BODY_TIMEOUT',
          `no body bytes for ${this.#limits.idleTimeoutMs / 1000} s (${this.received} of ${this.#declared ?? 'unknown'} bytes received)`,
        ),
      );
    }, this.#limits.idleTimeoutMs);
    this.#armRate();
  }

  #disarm(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#waitedMs += performance.now() - this.#waitingSince;
    }
    if (this.#rateTimer) clearTimeout(this.#rateTimer);
    this.#timer = null;
    this.#rateTimer = null;
  }

  /**
   * Wake when the waiting time would reach the allowance (grace plus one second per
   * `minRateBytesPerSec` received) if no byte came: then either fail, or, as bytes did come and
   * raised the allowance, sleep again until the new one. One timer per wait, not one per chunk.
   */
  #armRate(): void {
    const { minRateBytesPerSec: rate, minRateGraceMs: grace } = this.#limits;
    if (rate <= 0) return;
    const waited = this.#waitedMs + (performance.now() - this.#waitingSince);
    const allowed = grace + (this.received * 1000) / rate;
    if (waited < allowed) {
      this.#rateTimer = setTimeout(() => this.#armRate(), Math.ceil(allowed - waited));
      return;
    }
    this.destroy(
      new VergeError(
        'REQUEST_BODY_TIMEOUT',
        `the body arrived slower than ${rate} bytes/s after ${grace / 1000} s (${this.received} of ` +
          `${this.#declared ?? 'unknown'} bytes in ${(waited / 1000).toFixed(1)} s)`,
      ),
    );
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.#disarm();
    this.#req.off('data', this.#onData);
    this.#req.off('end', this.#onEnd);
    this.#req.off('aborted', this.#onAborted);
    this.#req.off('error', this.#onAborted);
    // Stop reading: the answer goes out, then the connection closes (transmit's lingering close).
    this.#req.pause();
    cb(err);
  }
}

function tooLarge(max: number, declared: number | null): VergeError {
  return new VergeError(
    'REQUEST_BODY_TOO_LARGE',
    declared === null
      ? `the request body exceeds ${max} bytes`
      : `the request body (Content-Length ${declared}) exceeds ${max} bytes`,
  );
}

function budgetFull(budget: BodyBudget): VergeError {
  return new VergeError(
    'EDGE_BODY_BUDGET_EXHAUSTED',
    `request bodies being buffered by this PoP fill its budget (${budget.used} of ${budget.maxBytes} bytes); try again`,
  );
}

/** The limits and a budget for one PoP, from options or the defaults. */
export function viewerBodySettings(
  o: {
    maxBodyBytes?: number;
    bodyBudgetBytes?: number;
    bodyIdleTimeoutMs?: number;
    bodyMinRateBytesPerSec?: number;
    bodyMinRateGraceMs?: number;
  } = {},
): { limits: ViewerBodyLimits; budget: BodyBudget } {
  return {
    limits: {
      maxBodyBytes: o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      idleTimeoutMs: o.bodyIdleTimeoutMs ?? DEFAULT_BODY_IDLE_TIMEOUT_MS,
      minRateBytesPerSec: o.bodyMinRateBytesPerSec ?? DEFAULT_BODY_MIN_RATE_BYTES_PER_SEC,
      minRateGraceMs: o.bodyMinRateGraceMs ?? DEFAULT_BODY_MIN_RATE_GRACE_MS,
    },
    budget: new BodyBudget(o.bodyBudgetBytes ?? DEFAULT_BODY_BUDGET_BYTES),
  };
}

/**
 * How a connection with an unread body lingers after its answer (nginx's lingering_timeout and
 * lingering_time): it keeps reading and dropping while the viewer keeps sending, up to `idleMs`
 * without a byte read and `maxMs` in all (5 s and 30 s, as nginx).
 */
export interface LingerLimits {
  idleMs: number;
  maxMs: number;
}
export const DEFAULT_LINGER: LingerLimits = { idleMs: 5_000, maxMs: 30_000 };

/**
 * Close an HTTP/1 connection whose body was left unread, after its answer, without losing the
 * answer. Closing a socket with unread bytes makes the kernel send a reset, and a reset loses the
 * answer: the viewer's kernel may drop what it had not handed over yet, and a client still writing
 * its body (most do not read until they have sent it) sees its write fail and gives up without
 * reading. So, as nginx's lingering close does: send the answer and a FIN, then read and drop what
 * the viewer still sends (nothing is kept, so it costs no memory), until it closes too, or it
 * pauses for `idleMs`, or `maxMs` have passed. No byte cap: a viewer still sending is still
 * sending the body it started, and the time bounds what it can cost.
 *
 * The bytes keep going through Node's HTTP parser into the request, which drops them: Node's
 * parser reads the socket itself, and a 'data' listener on the socket takes it back for
 * JavaScript, but not the reading the parser had stopped (a request whose buffer was full when
 * the answer went out, the usual case under load): the socket then read nothing more and was
 * reset when the idle time ran out (issue 9's "ten viewers" under load). Silence is measured as
 * the socket's byte count not moving (sampled every quarter of `idleMs`), checked once more after
 * the event loop has polled for input: a loop stalled longer than `idleMs` runs its overdue timers
 * before it reads what arrived meanwhile, and those bytes are not silence.
 */
export function lingerClose(res: ServerResponse, limits: LingerLimits = DEFAULT_LINGER): void {
  const socket = res.socket;
  if (!socket) return;
  const req = res.req;
  // Node dumps a request nobody read; one a body stream gave up on was left paused (its 'close'
  // handler, which runs after this function's, may pause it again): drop its bytes either way.
  const drop = () => {
    req.removeAllListeners('data');
    req.resume();
  };
  res.once('close', drop);
  // Node ends a `Connection: close` exchange with socket.destroySoon(); this replaces it for
  // this one socket.
  (socket as Socket & { destroySoon(): void }).destroySoon = () => {
    const tick = Math.max(1, Math.floor(limits.idleMs / 4));
    let seen = socket.bytesRead;
    let quietSince = performance.now();
    let confirming = false;
    const moved = (): boolean => {
      if (socket.bytesRead === seen) return false;
      seen = socket.bytesRead;
      quietSince = performance.now();
      return true;
    };
    const done = () => {
      clearTimeout(total);
      clearInterval(idle);
      socket.destroy();
    };
    const total = setTimeout(done, limits.maxMs);
    total.unref();
    const idle = setInterval(() => {
      if (confirming || moved() || performance.now() - quietSince < limits.idleMs) return;
      confirming = true;
      // Timers run before the poll for input: look again once it has had its turn.
      setImmediate(() => {
        confirming = false;
        if (!moved()) done();
      });
    }, tick);
    idle.unref();
    socket.once('end', done);
    socket.once('error', done);
    socket.once('close', done);
    socket.end();
    socket.resume();
    drop();
  };
}

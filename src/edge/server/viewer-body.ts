/**
 * @module edge/server/viewer-body
 * A viewer's request body, read only when the pipeline asks for it (issue 9). The request's
 * method, distribution and behavior are checked first (`receive`), so a refused request never
 * has its body read: the answer goes out and the connection is closed, and a viewer that sent
 * `Expect: 100-continue` is never told to send it. When the body is read it is bounded three
 * ways: a per-request cap (413), a budget shared by every connection of the PoP (503 when full,
 * reserved whole from Content-Length when declared, chunk by chunk otherwise) and an idle
 * timeout between chunks (408). The budget is returned when the response is done.
 *
 * Today the whole body is buffered because the origin client sends a buffer; issue 12 streams
 * it to the origin instead, and then only what a function's `includeBody` needs (40 KB / 1 MB,
 * spec 1.9) is buffered. `PendingBody` (pipeline/transaction.ts) is the seam for that change.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Socket } from 'node:net';
import { VergeError } from '../../shared/errors.js';
import type { PendingBody } from '../pipeline/transaction.js';

export interface ViewerBodyLimits {
  /** The largest body one request may send (413 past it). */
  maxBodyBytes: number;
  /** The longest pause between two chunks of a body (408 past it). */
  idleTimeoutMs: number;
}

/** Defaults: a 50 MB body, a 256 MB budget across all connections, 10 s between chunks. */
export const DEFAULT_MAX_BODY_BYTES = 50 * 1024 * 1024;
export const DEFAULT_BODY_BUDGET_BYTES = 256 * 1024 * 1024;
export const DEFAULT_BODY_IDLE_TIMEOUT_MS = 10_000;

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

/** The body of `req`, unread until `read()`; `res` answers `Expect: 100-continue` at that moment. */
export function viewerBody(req: Req, res: Res, limits: ViewerBodyLimits, budget: BodyBudget): PendingBody {
  const cl = req.headers['content-length'];
  const declared = cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : null;
  let state: 'unread' | 'reading' | 'read' | 'failed' = 'unread';
  let reserved = 0;
  const release = () => {
    budget.release(reserved);
    reserved = 0;
  };
  // Returned when the exchange is over, however it ended (answered, reset, crashed).
  res.once('close', release);
  return {
    declaredLength: declared,
    get complete() {
      return state === 'read';
    },
    read(): Promise<Buffer> {
      if (state !== 'unread') return Promise.reject(new Error('viewer body: read() called twice'));
      state = 'reading';
      if (declared !== null && declared > limits.maxBodyBytes) {
        state = 'failed';
        return Promise.reject(tooLarge(limits.maxBodyBytes, declared));
      }
      if (declared !== null && !budget.tryReserve(declared)) {
        state = 'failed';
        return Promise.reject(budgetFull(budget));
      }
      if (declared !== null) reserved = declared;
      return new Promise<Buffer>((resolve, reject) => {
        // A declared length is buffered in place (its budget is already taken): no second copy.
        let whole: Buffer | null = declared !== null ? Buffer.allocUnsafe(declared) : null;
        let chunks: Buffer[] = [];
        let size = 0;
        const stop = (err: VergeError | null) => {
          let e = err;
          clearTimeout(timer);
          req.off('data', onData);
          req.off('end', onEnd);
          req.off('aborted', onAborted);
          req.off('error', onAborted);
          if (e === null && whole !== null && size < whole.length)
            e = new VergeError('REQUEST_MALFORMED', `the body ended after ${size} of ${whole.length} bytes`);
          if (e === null) {
            state = 'read';
            const body = whole ?? (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
            whole = null;
            chunks = [];
            resolve(body);
            return;
          }
          state = 'failed';
          whole = null;
          chunks = [];
          release();
          req.pause();
          reject(e);
        };
        const onData = (c: Buffer) => {
          if (whole !== null) {
            // Node's parser never passes more than Content-Length; the check keeps the copy safe.
            if (size + c.length > whole.length)
              return stop(new VergeError('REQUEST_MALFORMED', 'the body exceeds its Content-Length'));
            c.copy(whole, size);
            size += c.length;
          } else {
            size += c.length;
            if (size > limits.maxBodyBytes) return stop(tooLarge(limits.maxBodyBytes, null));
            if (!budget.tryReserve(c.length)) return stop(budgetFull(budget));
            reserved += c.length;
            chunks.push(c);
          }
          timer.refresh();
        };
        const onEnd = () => stop(null);
        const onAborted = () =>
          stop(new VergeError('REQUEST_BODY_TIMEOUT', 'the viewer closed the connection before the body ended'));
        const timer = setTimeout(
          () =>
            stop(
              new VergeError(
                'REQUEST_BODY_TIMEOUT',
                `no body bytes for ${limits.idleTimeoutMs / 1000} s (${size} of ${declared ?? 'unknown'} bytes received)`,
              ),
            ),
          limits.idleTimeoutMs,
        );
        req.on('data', onData);
        req.once('end', onEnd);
        req.once('aborted', onAborted);
        req.once('error', onAborted);
        // Only now is the viewer told to go ahead (RFC 9110 10.1.1): a refused request never was.
        if (/100-continue/i.test(String(req.headers['expect'] ?? ''))) res.writeContinue();
      });
    },
  };
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
  o: { maxBodyBytes?: number; bodyBudgetBytes?: number; bodyIdleTimeoutMs?: number } = {},
): { limits: ViewerBodyLimits; budget: BodyBudget } {
  return {
    limits: {
      maxBodyBytes: o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      idleTimeoutMs: o.bodyIdleTimeoutMs ?? DEFAULT_BODY_IDLE_TIMEOUT_MS,
    },
    budget: new BodyBudget(o.bodyBudgetBytes ?? DEFAULT_BODY_BUDGET_BYTES),
  };
}

/** How long, and for how many more bytes, a connection with an unread body lingers after its answer. */
const LINGER_MS = 2_000;
const LINGER_BYTES = 32 * 1024 * 1024;

/**
 * Close an HTTP/1 connection whose body was left unread, after its answer, without losing the
 * answer. Closing a socket with unread bytes makes the kernel send a reset, and a reset can
 * discard the answer before the viewer reads it. So, as nginx's lingering close does: send the
 * answer and a FIN, then read and drop what the viewer still had in flight (nothing is kept),
 * until it closes too, or for at most LINGER_MS / LINGER_BYTES.
 */
export function lingerClose(res: ServerResponse): void {
  const socket = res.socket;
  if (!socket) return;
  // Node ends a `Connection: close` exchange with socket.destroySoon(); this replaces it for
  // this one socket.
  (socket as Socket & { destroySoon(): void }).destroySoon = () => {
    let dropped = 0;
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
    };
    const timer = setTimeout(done, LINGER_MS);
    timer.unref();
    socket.on('data', (c: Buffer) => {
      dropped += c.length;
      if (dropped > LINGER_BYTES) done();
    });
    socket.once('end', done);
    socket.once('error', done);
    socket.end();
    socket.resume();
  };
}

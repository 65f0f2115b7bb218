/**
 * @module edge/pipeline/steps/finalize
 * Step `finalize`: the last changes before transmission. Conditional requests (304) and ranges
 * (206/416) are answered from the full object (RFC 9110 13, 14); then the headers the edge
 * always adds (spec 7.10): Via, X-Cache, Age on hits, X-Verge-Pop, X-Verge-Request-Id, and
 * Server/Date on responses the edge generates. Surrogate headers meant for the edge are removed.
 */
import { addHeader, deleteHeader, getHeader, setHeader, titleCase } from '../../../shared/lambda-edge/index.js';
import { evaluateConditional, evaluateRange, notModifiedHeaders } from '../../deliver/index.js';
import type { PipelineDeps } from '../deps.js';
import type { StepName } from '../steps.js';
import type { ViewerTxn } from '../transaction.js';
import { statusText } from '../response.js';
import { bodyLength, discardBody, type Body } from '../../body/index.js';
import { forwardsCookies } from '../response-policy.js';

let dateSecond = -1;
let dateText = '';
/** The HTTP date for `now`, formatted once per second (it is on every generated response). */
function httpDate(now: number): string {
  const sec = Math.floor(now / 1000);
  if (sec !== dateSecond) {
    dateSecond = sec;
    dateText = new Date(sec * 1000).toUTCString();
  }
  return dateText;
}

const EDGE_ONLY = ['surrogate-control', 'surrogate-key', 'cache-tag'];

export function finalize(txn: ViewerTxn, deps: PipelineDeps): StepName {
  const r = txn.response!;
  const method = txn.request.method;
  const fromObject = txn.resultType === 'Hit' || txn.resultType === 'Miss' || txn.resultType === 'RefreshHit';
  if (fromObject && r.status === 200 && (method === 'GET' || method === 'HEAD')) {
    const cond = evaluateConditional(method, txn.request.headers, r.headers);
    const length = bodyLength(r.body);
    if (cond === 'not-modified') {
      discardBody(r.body);
      txn.response = {
        status: 304,
        statusText: statusText(304),
        headers: notModifiedHeaders(r.headers),
        body: Buffer.alloc(0),
      };
    } else if (cond === 'precondition-failed') {
      discardBody(r.body);
      txn.response = { status: 412, statusText: statusText(412), headers: {}, body: Buffer.alloc(0) };
    } else if (length !== null) {
      // A body of unknown length (streaming, compressed as it streams) is sent whole: a server
      // may ignore Range (RFC 9110 14.2).
      const range = evaluateRange(
        getHeader(txn.request.headers, 'range'),
        getHeader(txn.request.headers, 'if-range'),
        length,
        getHeader(r.headers, 'etag'),
        getHeader(r.headers, 'last-modified'),
      );
      if (range.kind === 'partial') {
        setHeader(r.headers, 'content-range', `bytes ${range.start}-${range.end}/${length}`);
        txn.response = {
          ...r,
          status: 206,
          statusText: statusText(206),
          body: rangeOf(r.body, range.start, range.end),
        };
        txn.range = { start: range.start, end: range.end };
      } else if (range.kind === 'unsatisfiable') {
        discardBody(r.body);
        txn.response = {
          status: 416,
          statusText: statusText(416),
          headers: { 'content-range': [{ key: 'Content-Range', value: `bytes */${length}` }] },
          body: Buffer.alloc(0),
        };
      }
    }
  }
  const out = txn.response!;
  const h = out.headers;
  for (const n of EDGE_ONLY) deleteHeader(h, n);
  // Only the origin's cookies are dropped: a Set-Cookie a function generated or added at
  // viewer-response reaches the viewer (viewer-response already saw the stripped response).
  const byFunction =
    txn.conditions.has('generated-at-viewer-request') ||
    txn.functionsRan.some((f) => f.eventType === 'viewer-response');
  if (!byFunction && !forwardsCookies(txn)) {
    deleteHeader(h, 'set-cookie');
  }
  // The edge's own cookie (a sticky staging session), whatever the behavior forwards.
  if (txn.stickyCookie) h['set-cookie'] = [...(h['set-cookie'] ?? []), { key: 'Set-Cookie', value: txn.stickyCookie }];
  if (out.status === 200 || out.status === 206)
    setHeader(h, 'accept-ranges', h['accept-ranges']?.[0]?.value ?? 'bytes');
  const generated = !fromObject;
  if (generated) {
    if (!h['server']) setHeader(h, 'server', 'Verge');
  }
  if (!h['date']) setHeader(h, 'date', httpDate(deps.clock.now()));
  addHeader(h, 'via', deps.viaToken, 'Via');
  setHeader(h, 'x-cache', `${txn.resultType} from verge`, 'X-Cache');
  // Hits carry the object's current age; a miss passes the origin's Age on (RFC 9111 5.1).
  if (txn.ageSec !== null && (txn.resultType === 'Hit' || txn.detailedResultType === 'StaleHit')) {
    setHeader(h, 'age', String(txn.ageSec), 'Age');
  }
  h['x-verge-pop'] = [{ key: 'X-Verge-Pop', value: deps.popId }];
  h['x-verge-request-id'] = [{ key: 'X-Verge-Request-Id', value: txn.requestId }];
  if (deps.workerId) h['x-verge-worker'] = [{ key: 'X-Verge-Worker', value: String(deps.workerId) }];
  if (deps.serverTiming && !h['server-timing']) {
    const cache = txn.resultType === 'Hit' ? 'hit' : txn.resultType === 'RefreshHit' ? 'refresh' : 'miss';
    const up = txn.originLatencyMs !== undefined ? `,cdn-upstream-fbl;dur=${Math.round(txn.originLatencyMs)}` : '';
    h['server-timing'] = [
      {
        key: titleCase('server-timing'),
        value: `cdn-cache-${cache},cdn-pop;desc="${deps.popId}",cdn-rid;desc="${txn.requestId}"${up}`,
      },
    ];
  }
  return 'done';
}

/** Bytes `start..end` (inclusive) of a body: a slice of a buffer, or a stream opened on that range. */
function rangeOf(b: Body, start: number, end: number): Body {
  if (Buffer.isBuffer(b)) return b.subarray(start, end + 1);
  return { length: end - start + 1, open: () => b.open(start, end), discard: () => b.discard() };
}

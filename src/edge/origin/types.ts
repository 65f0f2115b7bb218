/**
 * @module edge/origin/types
 * The origin leaf's contract: send one request to one origin (custom HTTP(S) or a directory
 * bucket) and return the whole response, or throw a VergeError with an ORIGIN_* code. Origin
 * groups and failover are decided by the pipeline, which calls this once per member.
 */
import type { Readable } from 'node:stream';
import type { CfHeaders } from '../../shared/lambda-edge/index.js';
import type { StreamBody } from '../body/index.js';
import type { OriginPlan } from '../config/plan.js';

export interface OriginRequest {
  method: string;
  /** The request URI (without the origin path; the client prefixes `originPath`). */
  uri: string;
  /** Raw query string without `?` ('' for none). */
  querystring: string;
  /** Headers exactly as they should reach the origin (Host, Via, X-Forwarded-For already set). */
  headers: CfHeaders;
  /** A whole body, or the viewer's body streaming through (Content-Length from `length` when known). */
  body?: Buffer | StreamedRequestBody;
  /** Called with each interim (1xx other than 101) response the origin sends before the final one. */
  onInterim?: (status: number, headers: Array<[string, string]>) => void;
  /**
   * Hand the response body over as it arrives (a one-shot StreamBody, read with backpressure)
   * instead of buffering it. HTTP origins only; a bucket origin answers with a Buffer either way.
   */
  streamResponse?: boolean;
}

/** A request body the edge does not hold: read once, as the origin takes it (issue 12). */
export interface StreamedRequestBody {
  stream: Readable;
  length: number | null;
}

export interface OriginResponse {
  status: number;
  statusText: string;
  /** Response headers with hop-by-hop headers removed. */
  headers: CfHeaders;
  /** Whole, or (with `streamResponse`) arriving: a stream error then means the origin failed mid-body. */
  body: Buffer | StreamBody;
  /** `totalMs` is the time to the last byte for a whole body, to the headers for a streamed one. */
  timings: { connectMs?: number; firstByteMs: number; totalMs: number };
}

export interface OriginClient {
  /** Throws VergeError ORIGIN_CONNECT_ERROR | ORIGIN_TIMEOUT | ORIGIN_BAD_RESPONSE | ORIGIN_RESET | ORIGIN_DNS_ERROR | REQUEST_BAD_PATH. */
  fetch(origin: OriginPlan, req: OriginRequest): Promise<OriginResponse>;
  close(): Promise<void>;
}

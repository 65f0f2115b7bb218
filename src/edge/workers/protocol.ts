/**
 * @module edge/workers/protocol
 * The messages between a PoP's primary and its workers (`verge edge --workers N`), over the
 * cluster IPC channel (JSON). The primary asks (`req`) and a worker answers (`res`) with the
 * same id; a worker says `ready` once its listeners are open, or `failed` when it could not
 * start; `lease`/`release`/`granted` carry cross-worker request collapsing (fleet-coalescer.ts,
 * leases.ts), and `growing`/`grown` (leader → primary) and `follow`/`progress`/`end` (primary →
 * followers) let other workers read a leader's object from the shared disk while it is written
 * (following.ts). Every message carries `verge` so foreign IPC traffic is ignored.
 */
import type { CacheEntry } from '../cache/types.js';
import type { PlanSources } from './plan-sources.js';

/** What the primary asks a worker to do. */
export type WorkerOp = 'health' | 'metrics' | 'config' | 'invalidate' | 'purge' | 'apply';

export interface ReqMessage {
  verge: 'req';
  id: number;
  op: WorkerOp;
  body?: unknown;
}

/** A failure as it crosses the channel: the VergeError code (or errno) and message survive. */
export interface WireError {
  code?: string;
  message: string;
  /** A listen error's port, so the CLI can name the flag to change. */
  port?: number;
}

export type ResMessage =
  { verge: 'res'; id: number; ok: true; value: unknown } | { verge: 'res'; id: number; ok: false; error: WireError };

export interface ReadyMessage {
  verge: 'ready';
  url: string;
  httpsUrl: string | null;
  planVersion: string;
}

export interface FailedMessage {
  verge: 'failed';
  error: WireError;
}

/** Worker → primary: may I fetch `key` from the origin? */
export interface LeaseMessage {
  verge: 'lease';
  id: number;
  key: string;
}

/**
 * Worker → primary: my fetch under lease `id` settled (its object is in the disk tier, or not
 * cacheable). `end` closes the object it announced (`growing`), if it did.
 */
export interface ReleaseMessage {
  verge: 'release';
  id: number;
  key: string;
  end?: StreamEnd;
}

/** How a streamed object ended: every byte there (`ok`, `written` is its length), or cut off. */
export interface StreamEnd {
  ok: boolean;
  written: number;
}

/** Primary → worker: the answer to a lease: fetch it yourself, or another worker did and is done. */
export interface GrantedMessage {
  verge: 'granted';
  id: number;
  /** true: this worker leads the fetch; false: another worker fetched it and has released it. */
  leader: boolean;
}

/** A cache entry as it crosses the channel: no body, and Infinity (JSON has none) as null. */
export type WireEntry = Omit<CacheEntry, 'body' | 'staleIfErrorMs'> & { staleIfErrorMs: number | null };

/** An object a leader is writing to the shared disk tier, as other workers can read it. */
export interface GrowingObject {
  entry: WireEntry;
  /** The body file (the disk tier's `<sha>.<id>`), already created. */
  path: string;
  /** The announced length (Content-Length), or null. */
  length: number | null;
}

/** Leader → primary, once its object's file exists: other workers may read it as it grows. */
export interface GrowingMessage {
  verge: 'growing';
  /** The lease it is fetching under. */
  id: number;
  key: string;
  object: GrowingObject;
  written: number;
}

/** Leader → primary: bytes of the announced object now in the file (sent one at a time, latest only). */
export interface GrownMessage {
  verge: 'grown';
  id: number;
  written: number;
}

/** Primary → worker: the answer to a lease: read another worker's object as it is written. */
export interface FollowMessage {
  verge: 'follow';
  id: number;
  /** The primary's number for this object; `progress` and `end` name it. */
  stream: number;
  object: GrowingObject;
  written: number;
}

/** Primary → worker: how far followed objects are written ([stream, written] pairs, latest only). */
export interface ProgressMessage {
  verge: 'progress';
  grown: Array<[number, number]>;
}

/** Primary → worker: a followed object ended (its leader finished, failed or exited). */
export interface EndMessage {
  verge: 'end';
  stream: number;
  end: StreamEnd;
}

/** Worker → primary, first thing: which plan do I start with? */
export interface HelloMessage {
  verge: 'hello';
}

/** Primary → worker: the plan to start with (its sources; see plan-sources.ts). */
export interface BootMessage {
  verge: 'boot';
  plan: PlanSources;
}

export type ToWorker = ReqMessage | GrantedMessage | BootMessage | FollowMessage | ProgressMessage | EndMessage;
export type ToPrimary =
  | ResMessage
  | ReadyMessage
  | FailedMessage
  | LeaseMessage
  | ReleaseMessage
  | HelloMessage
  | GrowingMessage
  | GrownMessage;

export function isVergeMessage<T extends { verge: string }>(m: unknown): m is T {
  return typeof m === 'object' && m !== null && typeof (m as { verge?: unknown }).verge === 'string';
}

export function toWire(e: unknown): WireError {
  const err = e as { code?: unknown; message?: unknown; port?: unknown };
  return {
    message: typeof err?.message === 'string' ? err.message : String(e),
    ...(typeof err?.code === 'string' ? { code: err.code } : {}),
    ...(typeof err?.port === 'number' ? { port: err.port } : {}),
  };
}

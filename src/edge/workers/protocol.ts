/**
 * @module edge/workers/protocol
 * The messages between a PoP's primary and its workers (`verge edge --workers N`), over the
 * cluster IPC channel (JSON). The primary asks (`req`) and a worker answers (`res`) with the
 * same id; a worker says `ready` once its listeners are open, or `failed` when it could not
 * start; `lease`/`release` and `granted`/`released` carry cross-worker request collapsing
 * (fleet-coalescer.ts, leases.ts). Every message carries `verge` so foreign IPC traffic is
 * ignored.
 */
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

/** Worker → primary: my fetch of `key` settled (its object is in the disk tier, or not cacheable). */
export interface ReleaseMessage {
  verge: 'release';
  key: string;
}

/** Primary → worker: the answer to a lease: fetch it yourself, or another worker did and is done. */
export interface GrantedMessage {
  verge: 'granted';
  id: number;
  /** true: this worker leads the fetch; false: another worker fetched it and has released it. */
  leader: boolean;
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

export type ToWorker = ReqMessage | GrantedMessage | BootMessage;
export type ToPrimary = ResMessage | ReadyMessage | FailedMessage | LeaseMessage | ReleaseMessage | HelloMessage;

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

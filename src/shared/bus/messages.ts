/**
 * @module shared/bus/messages
 * What travels between control replicas and edges besides HTTP (DESIGN 4, "Beyond one machine"):
 * the outbox events every change writes in its own transaction, and their form on NATS JetStream.
 * Only pointers and invalidations ride the bus; snapshot bodies and bundles are fetched by number
 * and content hash over HTTP from any control replica.
 *
 *   KV bucket   VERGE_SNAPSHOTS   key `latest`      {version, checksum}          the newest snapshot
 *                                 key `dist.<id>`   {generation, version, checksum} per distribution
 *   stream      VERGE_INVALIDATIONS  subject `verge.invalidations.<distribution>`  WatchInvalidationEvent,
 *                                 kept for the replay window so a PoP that was away catches up
 *
 * Every message carries `Nats-Msg-Id: verge-<seq>-<part>` (the outbox row), so a row published
 * twice (a relay that died before it marked the row) is stored once.
 */
import type { WatchInvalidationEvent, WatchSnapshotEvent } from '../replication/protocol.js';

export type OutboxEvent =
  | ({ kind: 'snapshot'; generations: Record<string, number> } & WatchSnapshotEvent)
  | ({ kind: 'invalidation' } & WatchInvalidationEvent);

export const KV_BUCKET = 'VERGE_SNAPSHOTS';
export const KV_LATEST = 'latest';
export const INVALIDATION_STREAM = 'VERGE_INVALIDATIONS';
export const INVALIDATION_SUBJECT = 'verge.invalidations';
/** How long invalidations stay in the stream for a PoP that was away (default; `--nats-replay`). */
export const DEFAULT_REPLAY_WINDOW_MS = 24 * 3_600_000;

/** A distribution's KV key; ids are `[A-Za-z0-9_-]`, which NATS keys and subjects allow as they are. */
export function distKey(id: string): string {
  return `dist.${id}`;
}

export interface DistPointer {
  generation: number;
  /** The snapshot that carries it. */
  version: number;
  checksum: string;
}

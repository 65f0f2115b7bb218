/**
 * @module control/domain/pops
 * PoP health from when the control plane last heard from the edge: `healthy` within 30 s,
 * `stale` within 5 minutes, `down` after that. An open watch stream counts as heard from now
 * (pings keep it alive every 15 s).
 */
import type { PopRecord } from '../store/types.js';

export const HEALTHY_WITHIN_MS = 30_000;
export const STALE_WITHIN_MS = 5 * 60_000;

export type Health = 'healthy' | 'stale' | 'down';

export function healthOf(lastSeen: number, now: number): Health {
  const age = now - lastSeen;
  if (age <= HEALTHY_WITHIN_MS) return 'healthy';
  if (age <= STALE_WITHIN_MS) return 'stale';
  return 'down';
}

export function popView(p: PopRecord, now: number, connected: boolean) {
  const lastSeen = connected ? Math.max(p.lastSeen, now) : p.lastSeen;
  return {
    id: p.id,
    region: p.region,
    location: p.location,
    edgeVersion: p.edgeVersion,
    appliedVersion: p.appliedVersion,
    lastSeen: new Date(lastSeen).toISOString(),
    connected,
    health: healthOf(lastSeen, now),
  };
}

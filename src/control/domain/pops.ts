/**
 * @module control/domain/pops
 * PoP health from when the control plane last heard from the edge: `healthy` within 30 s,
 * `stale` within 5 minutes, `down` after that. An open watch stream counts as heard from now
 * (pings keep it alive every 15 s). And removal: a PoP gone for good would keep every
 * distribution InProgress (Deployed means every registered PoP has it), so it can be forgotten.
 */
import { VergeError } from '../../shared/errors.js';
import type { PopRecord, Store } from '../store/types.js';

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

/** How to take a PoP that is gone for good out of the picture, for messages that name one. */
export function removeHint(id: string): string {
  return `\`verge pops remove ${id}\` (DELETE /api/v1/pops/${id})`;
}

/**
 * Forget a PoP: its record goes and its edge tokens are revoked, so the edge cannot register
 * again by itself (an admin token or a new edge token can bring it back). Distribution and
 * invalidation status are computed over the registered PoPs, so they no longer wait for it.
 * Its acknowledgements stay in the deployment history. Returns the revoked token ids.
 */
export async function removePop(
  store: Store,
  id: string,
  now: number,
): Promise<{ pop: PopRecord; revokedTokens: string[] }> {
  return await store.tx(async () => {
    const pop = await store.pops.get(id);
    if (!pop) throw new VergeError('NOT_FOUND', `PoP ${id} is not registered (GET /api/v1/pops lists them)`);
    const tokens = (await store.tokens.list()).filter((t) => t.kind === 'edge' && t.pop === id && t.revokedAt === null);
    for (const t of tokens) await store.tokens.revoke(t.id, now);
    await store.pops.delete(id);
    return { pop, revokedTokens: tokens.map((t) => t.id) };
  });
}

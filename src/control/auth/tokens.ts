/**
 * @module control/auth/tokens
 * Bearer tokens: `vrg_` + 32 random bytes (base64url). Only their sha256 is stored, so a copy of
 * the database does not grant access. The first start creates an admin token and writes it to
 * `<dataDir>/admin-token` (mode 0600) for `verge up` and the CLI; it is never stored in clear.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../../shared/clock.js';
import type { Store, TokenKind, TokenRecord } from '../store/types.js';

export const TOKEN_PREFIX = 'vrg_';
export const ADMIN_TOKEN_FILE = 'admin-token';

export function newToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function createToken(
  store: Store,
  clock: Clock,
  o: { name: string; kind: TokenKind; pop: string | null },
): Promise<{ record: TokenRecord; token: string }> {
  const token = newToken();
  const record: TokenRecord = {
    id: `tok_${randomUUID().replace(/-/g, '').slice(0, 16)}`,
    name: o.name,
    kind: o.kind,
    pop: o.kind === 'edge' ? o.pop : null,
    hash: hashToken(token),
    createdAt: clock.now(),
    revokedAt: null,
  };
  await store.tokens.insert(record);
  return { record, token };
}

/** The token's record when it is known and not revoked. */
export async function authenticate(store: Store, token: string): Promise<TokenRecord | undefined> {
  const t = await store.tokens.byHash(hashToken(token));
  return t && t.revokedAt === null ? t : undefined;
}

/**
 * On the first start (no token at all in the store) create the admin token and write it to
 * `<dataDir>/admin-token` with mode 0600. Returns it then; undefined on later starts.
 */
export async function ensureAdminToken(store: Store, clock: Clock, dataDir: string): Promise<string | undefined> {
  // In one transaction: replicas starting together on one database create one admin token.
  const token = await store.tx(async () => {
    if ((await store.tokens.list()).length > 0) return undefined;
    return (await createToken(store, clock, { name: 'admin', kind: 'admin', pop: null })).token;
  });
  if (token === undefined) return undefined;
  writeFileSync(join(dataDir, ADMIN_TOKEN_FILE), token + '\n', { mode: 0o600 });
  return token;
}

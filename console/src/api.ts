/**
 * @module console/api
 * The console's connection to the control plane: the shared typed REST client (src/client,
 * which needs only `fetch`) pointed at the page's own origin, and the admin token kept in
 * localStorage. The console uses only the public API of docs/api.md.
 */
import { createClient, isClientError, type VergeClient } from '../../src/client/index.js';
import type { FieldProblem } from '../../src/client/index.js';

export type { VergeClient };
export * from '../../src/client/index.js';

const TOKEN_KEY = 'verge.token';

export function storedToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function storeToken(token: string | null): void {
  if (token === null) localStorage.removeItem(TOKEN_KEY);
  else localStorage.setItem(TOKEN_KEY, token);
}

export function clientFor(token: string): VergeClient {
  return createClient({ url: location.origin, token });
}

/** Checks a token against an authenticated route; throws the API's error when it is refused. */
export async function verifyToken(token: string): Promise<void> {
  await clientFor(token).pops.list();
}

/** A readable one-line message for any error (never a stack). */
export function messageOf(e: unknown): string {
  if (isClientError(e)) {
    if (e.status === 0) return `Cannot reach the control plane (${e.message}).`;
    return e.message;
  }
  if (e instanceof Error) return e.message;
  return String(e);
}

/** The API's problem for one field (`$.name`), if any. Paths match exactly or as a prefix (`$.code` covers `$.code.source`). */
export function fieldProblem(e: unknown, ...paths: string[]): string | undefined {
  if (!isClientError(e)) return undefined;
  const hit = e.fields.find((f) =>
    paths.some((p) => f.path === p || f.path.startsWith(p + '.') || f.path.startsWith(p + '[')),
  );
  return hit?.message;
}

/** Field problems not claimed by any of `paths` (shown in the form's banner). */
export function otherProblems(e: unknown, paths: string[]): FieldProblem[] {
  if (!isClientError(e)) return [];
  return e.fields.filter(
    (f) => !paths.some((p) => f.path === p || f.path.startsWith(p + '.') || f.path.startsWith(p + '[')),
  );
}

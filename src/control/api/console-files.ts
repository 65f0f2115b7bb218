/**
 * @module control/api/console-files
 * The web console's built files at `/`, answered from the API server's not-found handler (every
 * path outside /api/v1): a file of the console folder with its content type, index.html for any
 * other path (a single-page app routes itself), never a file outside the folder, and the
 * console's security headers on every answer. Kept by hand rather than @fastify/static because
 * it is these 40 lines: one folder, the fallback, and the headers below on the fallback and the
 * "not built" page too (docs/architecture.md).
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { FastifyReply } from 'fastify';
import { VergeError } from '../../shared/errors.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/**
 * Headers on every console file: no framing (clickjacking), and a policy the built console runs
 * under: its own scripts and API only. `data:` images cover the inline favicon and the forms'
 * icons. Styles allow 'unsafe-inline' because the editor (CodeMirror) injects its theme as a
 * <style> element; a style cannot run code, and scripts stay 'self' only (no inline, no eval).
 * test/browser/console.test.ts drives the whole console with this policy and fails on a violation.
 */
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; " +
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** The console's file for a request path (`/functions/x` → index.html), or its "not built" page. */
export async function serveConsole(
  dir: string,
  pathname: string,
  reply: FastifyReply,
  apiPrefix: string,
): Promise<void> {
  // A malformed %-escape is no file: the single-page fallback answers it like any unknown path.
  const decoded = (() => {
    try {
      return decodeURIComponent(pathname);
    } catch {
      return '/';
    }
  })();
  const rel = normalize(decoded).replace(/^([/\\])+/, '');
  let file = join(dir, rel);
  if (!file.startsWith(normalize(dir + sep)) && file !== normalize(dir))
    throw new VergeError('NOT_FOUND', 'no such file');
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) file = join(dir, 'index.html');
  const data = await readFile(file).catch(() => undefined);
  if (!data) {
    const html = `<!doctype html><title>Verge</title><p>The web console is not built (console/dist is missing): run <code>npm run build:console</code> and reload. The API is under ${apiPrefix}.</p>\n`;
    await reply
      .code(503)
      .headers({ ...CONSOLE_HEADERS, 'content-type': 'text/html; charset=utf-8' })
      .send(html);
    return;
  }
  await reply
    .code(200)
    .headers({ ...CONSOLE_HEADERS, 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' })
    .send(data);
}

/**
 * @module test/conformance/cache-tests-origin
 * The origin server of the HTTP caching conformance suite (test/vendor/cache-tests), run as a
 * child process. The suite's own `test-engine/server/server.mjs` (not vendored) listens on every interface and also serves
 * files from its working directory; this entry point reuses the suite's request handlers
 * (`/config/`, `/test/`, `/state/`) unchanged but listens on 127.0.0.1 only and answers 404 to
 * anything else. Prints `listening <port>` on stdout once ready.
 *
 * Usage: `node --import tsx test/conformance/cache-tests-origin.ts [port]` (default: a free port).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { suiteDir } from './cache-tests-suite.js';

type Handler = (pathSegs: string[], req: unknown, res: unknown) => void;

async function handler(file: string): Promise<Handler> {
  const mod = (await import(pathToFileURL(join(suiteDir(), 'test-engine', 'server', file)).href)) as {
    default: Handler;
  };
  return mod.default;
}

const [handleConfig, handleTest, handleState] = await Promise.all([
  handler('handle-config.mjs'),
  handler('handle-test.mjs'),
  handler('handle-state.mjs'),
]);
const routes: Record<string, Handler> = { config: handleConfig, test: handleTest, state: handleState };

// Same dispatch as the suite's handleMain: the first path segment picks the handler.
const server = createServer((req, res) => {
  const segs = new URL(req.url ?? '/', 'http://localhost/').pathname.split('/');
  segs.shift();
  const route = routes[segs.shift() ?? ''];
  if (route) return route(segs, req, res);
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('not a cache-tests path\n');
});

server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  });
}

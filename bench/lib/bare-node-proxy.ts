/**
 * @module bench/lib/bare-node-proxy
 * The reference for the hops a proxy cannot avoid (bench/edge-streaming.ts, issue 12): a bare
 * `node:http` server that forwards each request to the origin over a keep-alive connection and
 * pipes the answer back as it arrives, with no cache, steps or headers of its own. Run as its own
 * process, so a request through it crosses the same process boundaries as one through the edge.
 * Prints `listening <port>` when ready.
 *
 * Usage: `node --import tsx bench/lib/bare-node-proxy.ts PORT ORIGIN_PORT`.
 */
import { Agent, createServer, request } from 'node:http';

const originPort = Number(process.argv[3]);
const agent = new Agent({ keepAlive: true });
const server = createServer((req, res) => {
  const out = request(
    { host: '127.0.0.1', port: originPort, path: req.url, method: req.method, headers: req.headers, agent },
    (o) => {
      res.writeHead(o.statusCode ?? 502, o.headers);
      o.pipe(res);
    },
  );
  out.on('error', () => res.destroy());
  req.pipe(out);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`listening ${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => process.exit(0));

/**
 * @module bench/lib/bare-node-server
 * The benchmark's upper bound for Node: a bare `node:http` server returning the 1 KiB object,
 * run as its own process like the other contenders. Prints `listening <port>` when ready.
 *
 * Usage: `node --import tsx bench/lib/bare-node-server.ts PORT`.
 */
import { createObjectServer } from './object.js';

const server = createObjectServer();
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`listening ${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => process.exit(0));

#!/usr/bin/env node
// `npm run cluster` (scripts/cluster-up.mjs): a whole cluster on one machine, the shape of
// issue 15 and docs/operations.md, to try what several machines would run: two control
// replicas on one PostgreSQL database (created when missing), NATS JetStream when nats-server is
// installed (a server of its own on --nats-port; both replicas relay to it), a regional edge cache
// with the demo origin, and three PoPs that fetch their misses through the regional (PoPs 1 and
// 3 watch replica A, PoP 2 watches replica B). The demo distribution is created on the first
// start. Runs the built verge (bin/verge.js; `npm run build` first). Ctrl-C stops everything.
//
//   npm run cluster -- [--store postgres://root@127.0.0.1:5432/verge_cluster] [--dir .verge-cluster]
//                      [--no-nats] [--nats-port 4223]
import { spawn, execFileSync } from 'node:child_process';
import { copyFileSync, createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';

const root = resolve(new URL('..', import.meta.url).pathname);
const { values } = parseArgs({
  options: {
    store: { type: 'string', default: 'postgres://root@127.0.0.1:5432/verge_cluster' },
    dir: { type: 'string', default: '.verge-cluster' },
    'no-nats': { type: 'boolean', default: false },
    'nats-port': { type: 'string', default: '4223' },
  },
});
const dir = resolve(values.dir);
mkdirSync(join(dir, 'logs'), { recursive: true, mode: 0o700 });
const { adminApi, seedDemo } = await import(join(root, 'dist/cli/up-seed.js'));
const { startDemoOrigin } = await import(join(root, 'dist/cli/demo-origin.js'));

const children = [];
/** Starts a process with its output in logs/<name>.log; resolves when `ready` shows in it. */
function start(name, command, args, env = {}, ready) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const log = createWriteStream(join(dir, 'logs', `${name}.log`), { flags: 'a' });
  let out = '';
  return new Promise((ok, fail) => {
    const onData = (d) => {
      log.write(d);
      out = (out + d).slice(-10_000);
      if (ready.test(out)) ok(child);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => fail(new Error(`${name} exited (${code}) before it was ready:\n${out}`)));
  });
}
const verge = (name, args, env, ready) =>
  start(name, process.execPath, ['--no-node-snapshot', join(root, 'bin/verge.js'), ...args], env, ready);
function stopAll() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
}
process.on('SIGINT', () => (stopAll(), process.exit(130)));
process.on('SIGTERM', () => (stopAll(), process.exit(143)));

try {
  // The database: created when missing (the user needs CREATEDB), like `createdb verge_cluster`.
  const url = new URL(values.store);
  const dbName = url.pathname.slice(1);
  const admin = new pg.Client({ connectionString: Object.assign(new URL(url), { pathname: '/postgres' }).toString() });
  await admin.connect();
  if ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName])).rowCount === 0)
    await admin.query(`CREATE DATABASE "${dbName.replace(/"/g, '')}"`);
  await admin.end();

  let nats = [];
  const natsServer = (() => {
    try {
      return execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  })();
  if (!values['no-nats'] && natsServer) {
    const port = values['nats-port'];
    mkdirSync(join(dir, 'nats'), { recursive: true });
    await start('nats', natsServer, ['-js', '-a', '127.0.0.1', '-p', port, '-sd', join(dir, 'nats')], {}, /Server is ready/); // prettier-ignore
    nats = ['--nats', `nats://127.0.0.1:${port}`];
    console.log(`nats           nats://127.0.0.1:${port} (JetStream)`);
  } else console.log(`nats           not started (${natsServer ? '--no-nats' : 'nats-server is not installed'})`);

  const control = (name, port) =>
    verge(name, ['control', '--port', String(port), '--data-dir', join(dir, name), '--store', values.store, ...nats], {}, /^control plane\s+http/m); // prettier-ignore
  await control('control-a', 8080);
  mkdirSync(join(dir, 'control-b'), { recursive: true, mode: 0o700 });
  copyFileSync(join(dir, 'control-a', 'secret.key'), join(dir, 'control-b', 'secret.key'));
  await control('control-b', 8081);
  const token = readFileSync(join(dir, 'control-a', 'admin-token'), 'utf8').trim();
  const api = adminApi('http://127.0.0.1:8080', token);
  const origin = await startDemoOrigin(9000);
  await seedDemo(api, dir, 9000);

  const secretFile = join(dir, 'tier-secret');
  if (!existsSync(secretFile)) writeFileSync(secretFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
  const tier = { VERGE_TIER_SECRET: readFileSync(secretFile, 'utf8').trim() };
  const pop = async (id, port, adminPort, controlUrl, extra) => {
    const t = await api('POST', '/tokens', { name: `${id} (npm run cluster)`, kind: 'edge', pop: id });
    await verge(id, ['edge', '--control', controlUrl, '--pop', id, '--region', 'local', '--host', '127.0.0.1', '--port', String(port), '--admin-port', String(adminPort), '--data-dir', join(dir, id), ...extra], { ...tier, VERGE_EDGE_TOKEN: t.token }, /^viewers\s+http/m); // prettier-ignore
    console.log(`${id.padEnd(14)} http://127.0.0.1:${port}  (watches ${controlUrl})`);
  };
  console.log('control        http://127.0.0.1:8080  http://127.0.0.1:8081  (one PostgreSQL database)');
  console.log(`admin token    in ${join(dir, 'control-a', 'admin-token')}`);
  console.log(`demo origin    ${origin.url}`);
  await pop('regional-1', 8090, 9910, 'http://127.0.0.1:8080', ['--role', 'regional']);
  const regional = ['--regional', 'http://127.0.0.1:8090'];
  await pop('pop-1', 8091, 9911, 'http://127.0.0.1:8080', regional);
  await pop('pop-2', 8092, 9912, 'http://127.0.0.1:8081', regional);
  await pop('pop-3', 8093, 9913, 'http://127.0.0.1:8080', regional);
  console.log(
    `logs           ${join(dir, 'logs')}\ntry            curl -i http://127.0.0.1:8091/   (Ctrl-C stops everything)`,
  );
} catch (e) {
  console.error(`npm run cluster: ${e.message}`);
  stopAll();
  process.exit(1);
}

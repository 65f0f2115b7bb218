/**
 * @module cli/edge-command
 * `verge edge`: one PoP in static mode, serving the distribution configs given with --config.
 * SIGHUP reloads the configs (a bad config is refused and the old one keeps serving); SIGINT
 * and SIGTERM stop it cleanly. With --control URL --token T it runs in managed mode instead
 * (src/cli/edge-managed.ts): boot from last-known-good, then follow the control plane.
 */
import { readFileSync } from 'node:fs';
import { print } from '../shared/log.js';
import { startEdge } from '../edge/edge.js';
import { parse, intOption, UsageError } from './args.js';
import { startDemoOrigin, type DemoOrigin } from './demo-origin.js';
import { defaultEdgeDataDir, startManagedEdge } from './edge-managed.js';
import { listening } from './ports.js';
import { edgeWorkerId } from '../edge/workers/index.js';
import {
  cacheLimits,
  controlUrls,
  edgePorts,
  staticEdgeOptions,
  tierOptions,
  workersOption,
  type EdgeValues,
} from './edge-options.js';
import { staticEdgePrimary, staticEdgeWorker } from './edge-workers.js';
import { redactNatsUrl } from '../shared/bus/nats.js';
import { managedEdgePrimary, managedEdgeWorker } from './edge-managed-workers.js';

export const EDGE_HELP = `verge edge --config FILE [--config FILE...] [options]
verge edge --control URL --token T --pop ID --region R [options]

Runs one edge location (PoP): in static mode from config files, or in managed mode following a
control plane (it boots from its last-known-good snapshot, so it serves while the control plane
is down).

  --config FILE         a distribution config (JSON); repeat for several distributions
  --control URL[,URL]   managed mode: the control plane (e.g. http://127.0.0.1:8080); several
                        replicas' URLs separated by commas: the PoP uses one at a time and moves
                        to the next when it is down (docs/operations.md)
  --token T             managed mode: this PoP's edge token (or VERGE_EDGE_TOKEN, or --token-file)
  --token-file FILE     read the edge token from FILE
  --nats URL            managed mode: watch NATS JetStream (nats://host:4222) for snapshots and
                        invalidations instead of the control plane's stream; snapshot bodies,
                        bundles and acks still go to --control (docs/operations.md)
  --location TEXT       managed mode: a description shown in \`verge pops list\`
  --port N              HTTP port for viewers (default 8080)
  --host ADDR           address to listen on (default 0.0.0.0)
  --tls-cert FILE       certificate (PEM) for HTTPS and HTTP/2
  --tls-key FILE        private key (PEM) for HTTPS
  --https-port N        HTTPS port (default 8443 when --tls-cert is given)
  --pop ID              this PoP's id, shown in X-Verge-Pop and logs (default local1)
  --region R            this PoP's region (default local)
  --admin-port N        admin listener on 127.0.0.1: /healthz, /metrics, POST /invalidations (default 9901)
  --admin-token-file F  the admin listener's bearer token, created (mode 0600) if missing
                        (default DIR/admin-token with --data-dir, else .verge/edge-<pop>/admin-token)
  --data-dir DIR        keep a disk cache tier under DIR/cache (managed mode: also the snapshot
                        and bundles; default .verge/edge-<pop>)
  --geo-db PATH         a MaxMind-format city database (default: the bundled development database)
  --geo-overrides FILE  JSON map from CIDR ranges to locations, checked first
  --access-log DEST     stdout (default), off, or a file path (managed mode: off by default,
                        access logs go to the control plane)
  --cache-size MB       memory cache budget in MiB (default 256)
  --cache-disk-size MB  disk cache budget in MiB, with --data-dir (default 4 x --cache-size)
  --cache-max-object MB the largest object the cache keeps, in MiB (default 20480); a larger one,
                        or one larger than the free cache, streams through and is not stored
  --body-budget MB      request bodies buffered at once across all viewers, in MiB (default 256);
                        past it a request with a body gets 503
  --server-timing       add Server-Timing to every response
  --demo-origin [PORT]  also start the bundled demo origin (default port 9000)
  --workers N           worker processes sharing the ports, the disk tier and the admin
                        listener (default: the number of cores; 1 runs in one process)
  --role regional       be a regional edge cache: also answer other PoPs' misses (tiered caching);
                        needs VERGE_TIER_SECRET, the secret its PoPs send
  --regional URL        fetch misses this PoP may store through the regional edge cache at URL
                        (falls back to the origin while it is down); needs VERGE_TIER_SECRET
`;

export async function edgeCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    config: { type: 'string', multiple: true },
    control: { type: 'string' },
    nats: { type: 'string' },
    token: { type: 'string' },
    'token-file': { type: 'string' },
    location: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'https-port': { type: 'string' },
    pop: { type: 'string' },
    region: { type: 'string' },
    'admin-port': { type: 'string' },
    'admin-token-file': { type: 'string' },
    'data-dir': { type: 'string' },
    'geo-db': { type: 'string' },
    'geo-overrides': { type: 'string' },
    'access-log': { type: 'string' },
    'cache-size': { type: 'string' },
    'cache-disk-size': { type: 'string' },
    'cache-max-object': { type: 'string' },
    'body-budget': { type: 'string' },
    'server-timing': { type: 'boolean' },
    'demo-origin': { type: 'string' },
    workers: { type: 'string' },
    role: { type: 'string' },
    regional: { type: 'string' },
    help: { type: 'boolean' },
  });
  if (values.help) return print(EDGE_HELP);
  if (values.nats !== undefined && values.control === undefined)
    throw new UsageError('--nats needs --control URL: snapshot bodies and bundles come from the control plane');
  if (values.control !== undefined) return managedEdgeCommand(values);
  if (!values.config?.length)
    throw new UsageError(
      'verge edge needs at least one --config FILE (a distribution config), or --control URL --token T',
    );
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key']))
    throw new UsageError('--tls-cert and --tls-key go together');
  // A worker re-runs this command under its primary (node:cluster): it serves, nothing else.
  if (edgeWorkerId() !== null) return staticEdgeWorker(values as EdgeValues);
  let demo: DemoOrigin | null = null;
  if (values['demo-origin'] !== undefined) {
    const port = intOption(values['demo-origin'] || '9000', '--demo-origin', 9000);
    demo = await listening([{ port, flag: '--demo-origin PORT', what: 'the demo origin' }], () =>
      startDemoOrigin(port),
    );
    print(`demo origin   ${demo.url}`);
  }
  const workers = workersOption(values.workers, values.role);
  if (workers > 1)
    return staticEdgePrimary(values as EdgeValues, workers).finally(async () => {
      await demo?.close();
    });
  const o = staticEdgeOptions(values as EdgeValues);
  const edge = await listening(edgePorts(o.port!, o.httpsPort, o.adminPort!, o.host ?? '0.0.0.0'), () =>
    startEdge({ ...o, configPaths: values.config }),
  ).catch(async (e: unknown) => {
    await demo?.close();
    throw e;
  });
  const plan = edge.plan();
  print(
    `edge ${values.pop ?? 'local1'} serving ${plan.distributions.map((d) => `${d.id} (${d.aliases.join(', ')})`).join('; ')}`,
  );
  print(`viewers       ${edge.url}${edge.httpsUrl ? `  ${edge.httpsUrl}` : ''}`);
  if (edge.adminUrl) {
    print(`admin         ${edge.adminUrl}/healthz  ${edge.adminUrl}/metrics  POST ${edge.adminUrl}/invalidations`);
    print(`admin token   in ${edge.adminTokenFile} (Authorization: Bearer <token>)`);
  }
  print('Ctrl-C stops it; kill -HUP reloads the configs.');
  process.on('SIGHUP', () => {
    edge.reload().then(
      () => print(`reloaded: plan ${edge.plan().version.slice(0, 12)}`),
      (e: Error) => print(`reload refused, the previous config keeps serving:\n${e.message}`),
    );
  });
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await edge.close();
  await demo?.close();
}

/** `verge edge --control URL`: managed mode. */
async function managedEdgeCommand(values: EdgeValues): Promise<void> {
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  if (values.config !== undefined)
    throw new UsageError(
      '--config and --control do not go together: a managed edge takes its distributions from the control plane',
    );
  const token =
    str('token') ??
    (str('token-file') ? readFileSync(str('token-file')!, 'utf8').trim() : process.env.VERGE_EDGE_TOKEN);
  if (!token)
    throw new UsageError(
      'managed mode needs --token T (an edge token: `verge tokens create --kind edge --pop ID`), --token-file FILE or VERGE_EDGE_TOKEN',
    );
  if (Boolean(str('tls-cert')) !== Boolean(str('tls-key')))
    throw new UsageError('--tls-cert and --tls-key go together');
  const pop = str('pop');
  if (!pop || !str('region')) throw new UsageError('managed mode needs --pop ID and --region R');
  const control = controlUrls(str('control')!);
  const nats = str('nats');
  if (nats !== undefined && !/^(nats|tls):\/\/\S+$/.test(nats))
    throw new UsageError('--nats must be a URL such as nats://127.0.0.1:4222');
  const workers = workersOption(values.workers, values.role);
  if (edgeWorkerId() !== null) return managedEdgeWorker(values, token);
  if (workers > 1) return managedEdgePrimary(values, token, workers);
  const port = intOption(str('port'), '--port', 8080);
  const httpsPort = str('tls-cert') ? intOption(str('https-port'), '--https-port', 8443) : undefined;
  const adminPort = intOption(str('admin-port'), '--admin-port', 9901);
  const m = await listening(edgePorts(port, httpsPort, adminPort, str('host') ?? '0.0.0.0'), () =>
    startManagedEdge({
      controlUrl: control,
      ...(nats !== undefined ? { natsUrl: nats } : {}),
      token,
      popId: pop,
      region: str('region')!,
      ...(str('location') ? { location: str('location')! } : {}),
      dataDir: str('data-dir') ?? defaultEdgeDataDir(pop),
      port,
      ...(str('host') ? { host: str('host')! } : {}),
      ...(str('tls-cert') ? { tls: { cert: readFileSync(str('tls-cert')!), key: readFileSync(str('tls-key')!) } } : {}),
      ...(httpsPort !== undefined ? { httpsPort } : {}),
      adminPort,
      ...(str('admin-token-file') ? { adminTokenFile: str('admin-token-file')! } : {}),
      ...(str('geo-db') ? { geoDb: str('geo-db')! } : {}),
      ...(str('geo-overrides') ? { geoOverrides: str('geo-overrides')! } : {}),
      accessLog: str('access-log') ?? 'off',
      cacheMaxBytes: intOption(str('cache-size'), '--cache-size', 256, 1, 1 << 20) * 1024 * 1024,
      ...cacheLimits(str),
      bodyBudgetBytes: intOption(str('body-budget'), '--body-budget', 256, 1, 1 << 20) * 1024 * 1024,
      serverTiming: values['server-timing'] === true,
      ...tierOptions(str('role'), str('regional')),
      onApplied: (version, ms) => print(`edge ${pop}: snapshot ${version} live (${Math.round(ms)} ms)`),
    }),
  );
  print(
    `edge ${pop} (${str('region')}) managed by ${control.join(', ')}${nats ? ` through ${redactNatsUrl(nats)}` : ''}; ${m.bootVersion ? `booted from last-known-good snapshot ${m.bootVersion}` : 'no snapshot on disk yet'}`,
  );
  print(`viewers       ${m.edge.url}${m.edge.httpsUrl ? `  ${m.edge.httpsUrl}` : ''}`);
  if (m.edge.adminUrl) {
    print(`admin         ${m.edge.adminUrl}/healthz  ${m.edge.adminUrl}/metrics`);
    print(`admin token   in ${m.edge.adminTokenFile} (Authorization: Bearer <token>)`);
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    // Under `verge up`: if the supervisor dies without stopping us (SIGKILL), stop too rather
    // than hold the PoP's port against the next start.
    if (process.env.VERGE_SUPERVISED === '1') {
      const parent = process.ppid;
      setInterval(() => process.ppid !== parent && resolve(), 1000).unref();
    }
  });
  await m.close();
}

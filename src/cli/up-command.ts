/**
 * @module cli/up-command
 * `verge up`, what `npm start` runs (DESIGN section 1): the control plane with the console
 * in-process, three edge PoPs as child processes in three simulated regions (managed mode,
 * restarted when they crash), the demo origin, and on the first start a sample distribution
 * with two example functions, all set up through the control plane's API. State lives in the
 * data dir (`.verge/`), so the next start resumes it. Ctrl-C stops everything.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, print } from '../shared/log.js';
import { startControl } from '../control/index.js';
import { parse, intOption, UsageError } from './args.js';
import { startDemoOrigin } from './demo-origin.js';
import { loadOverrides as loadGeoOverrides } from '../edge/geo/overrides.js';
import { ensurePortsFree, listening, type PortUse } from './ports.js';
import { Supervisor } from './supervisor.js';
import { UP_POPS, adminApi, ensureEdgeTokens, seedDemo } from './up-seed.js';
import { readAdminToken, waitForDeployed, waitForEdges } from './up-wait.js';

export const UP_HELP = `verge up [options]

Starts a whole Verge on this machine: the control plane and console, three edge PoPs
(us-east-1, eu-west-1, ap-south-1) in managed mode, and the demo origin. The first start
creates a sample distribution "demo" with two example functions (examples/up/). State is kept
in the data dir; the next start resumes it. Ctrl-C stops everything.

  --port N              control plane API and console (default 8080)
  --edge-ports A,B,C    the three PoPs' viewer ports (default 8081,8082,8083)
  --admin-ports A,B,C   the PoPs' admin ports (default 9901,9902,9903)
  --origin-port N       the demo origin (default 9000)
  --data-dir DIR        state: database, tokens, edge snapshots and caches (default .verge)
  --geo-overrides FILE  the PoPs' JSON map from CIDR ranges to locations (default
                        examples/up/geo-overrides.json: 127.0.0.2-127.0.0.9 are in eight
                        countries, so \`curl --interface 127.0.0.3\` is a viewer in Germany)
`;

/** 127.0.0.2-127.0.0.9 in eight countries: loopback has none, and geo-targeting wants one. */
export const UP_GEO_OVERRIDES = fileURLToPath(new URL('../../examples/up/geo-overrides.json', import.meta.url));

export interface UpOptions {
  port: number;
  edgePorts: number[];
  adminPorts: number[];
  originPort: number;
  dataDir: string;
  /** The PoPs' --geo-overrides file (default UP_GEO_OVERRIDES). */
  geoOverrides?: string;
  /** Where human-facing lines go (default stdout). */
  print?: (line: string) => void;
}

export interface Up {
  controlUrl: string;
  popUrls: Record<string, string>;
  originUrl: string;
  adminTokenFile: string;
  seeded: boolean;
  supervisor: Supervisor;
  close(): Promise<void>;
}

export async function upCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    port: { type: 'string' },
    'edge-ports': { type: 'string' },
    'admin-ports': { type: 'string' },
    'origin-port': { type: 'string' },
    'data-dir': { type: 'string' },
    'geo-overrides': { type: 'string' },
    help: { type: 'boolean' },
  });
  if (values.help) return print(UP_HELP);
  const up = await startUp({
    port: intOption(values.port, '--port', 8080),
    edgePorts: portList(values['edge-ports'], '--edge-ports', [8081, 8082, 8083]),
    adminPorts: portList(values['admin-ports'], '--admin-ports', [9901, 9902, 9903]),
    originPort: intOption(values['origin-port'], '--origin-port', 9000),
    dataDir: resolve(values['data-dir'] ?? '.verge'),
    geoOverrides: resolve(values['geo-overrides'] ?? UP_GEO_OVERRIDES),
  });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  print('\nstopping...');
  await up.close();
  print('stopped.');
}

export async function startUp(o: UpOptions): Promise<Up> {
  const out = o.print ?? print;
  const ports = upPorts(o);
  const geoOverrides = o.geoOverrides ?? UP_GEO_OVERRIDES;
  // Read it here: a bad file would otherwise only show as three PoPs restarting in a loop.
  loadGeoOverrides(geoOverrides);
  await ensurePortsFree(ports);
  mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
  const logDir = join(o.dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const controlLog = createWriteStream(join(logDir, 'control.log'), { flags: 'a' });
  const logger = createLogger({
    write: (line) => {
      controlLog.write(line + '\n');
      if (/"level":"(warn|error)"/.test(line)) out(`[control] ${line}`);
    },
  });
  const endLog = () => new Promise<void>((r) => controlLog.end(() => r()));
  const origin = await listening(ports, () => startDemoOrigin(o.originPort)).catch(async (e: unknown) => {
    await endLog();
    throw e;
  });
  const control = await listening(ports, () =>
    startControl({ port: o.port, host: '127.0.0.1', dataDir: o.dataDir, logger }),
  ).catch(async (e: unknown) => {
    await origin.close();
    await endLog();
    throw e;
  });
  const supervisor = new Supervisor({ logDir, print: out });
  const closeAll = async () => {
    await supervisor.stopAll();
    await control.close();
    await origin.close();
    await endLog();
  };
  try {
    const api = adminApi(control.url, readAdminToken(o.dataDir));
    const tokens = await ensureEdgeTokens(api, o.dataDir, UP_POPS);
    const popUrls: Record<string, string> = {};
    UP_POPS.forEach((p, i) => {
      const port = o.edgePorts[i]!;
      popUrls[p.id] = `http://localhost:${port}`;
      supervisor.start({
        name: p.id,
        args: [
          'edge', '--control', control.url, '--pop', p.id, '--region', p.region, '--location', p.location,
          '--host', '127.0.0.1', '--port', String(port), '--admin-port', String(o.adminPorts[i]!),
          '--data-dir', join(o.dataDir, `edge-${p.id}`), '--geo-overrides', geoOverrides,
          // Three PoPs share one machine: one process each (a real PoP runs one per core).
          '--workers', '1',
        ], // prettier-ignore
        env: { VERGE_EDGE_TOKEN: tokens[p.id]! },
      });
    });
    // The demo is seeded while the PoPs boot (neither needs the other; a PoP that registers
    // after the seed pulls the newest snapshot), so a first start does not pay one after the other.
    const seedFailed = new AbortController(); // then stop polling the PoPs too
    const [seeded] = await Promise.all([
      seedDemo(api, o.dataDir, o.originPort).catch((e: unknown) => {
        seedFailed.abort();
        throw e;
      }),
      waitForEdges(o.adminPorts, 30_000, seedFailed.signal),
    ]);
    await waitForDeployed(api, 'demo', 20_000).catch((e: Error) => out(`warning: ${e.message}`));
    const tokenFile = join(o.dataDir, 'admin-token');
    printBanner(out, control.url, popUrls, origin.url, tokenFile, seeded);
    return {
      controlUrl: control.url,
      popUrls,
      originUrl: origin.url,
      adminTokenFile: tokenFile,
      seeded,
      supervisor,
      close: closeAll,
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

function printBanner(
  out: (l: string) => void,
  url: string,
  pops: Record<string, string>,
  origin: string,
  tokenFile: string,
  seeded: boolean,
): void {
  const rel = relative(process.cwd(), tokenFile) || tokenFile;
  out('');
  out(`Verge is up${seeded ? ' (first start: created the demo distribution and two example functions)' : ''}.`);
  out(`  console and API   ${url}`);
  UP_POPS.forEach((p) => out(`  PoP ${p.id.padEnd(13)} ${pops[p.id]}   (${p.region})`));
  out(`  demo origin       ${origin}`);
  out(`  admin token       ${rel} (mode 0600)`);
  out('');
  out(`Use the CLI:  export VERGE_URL=${url} VERGE_TOKEN=$(cat ${rel})`);
  out(`Try a PoP:    curl -i ${pops[UP_POPS[0]!.id]}/p/42`);
  out('Ctrl-C stops everything; the next start resumes the same state.');
}

/** Every port `verge up` listens on, with the flag that moves it. */
function upPorts(o: UpOptions): PortUse[] {
  return [
    { port: o.port, flag: '--port N', what: 'control plane and console' },
    ...UP_POPS.flatMap((p, i) => [
      { port: o.edgePorts[i]!, flag: '--edge-ports A,B,C', what: `PoP ${p.id}` },
      { port: o.adminPorts[i]!, flag: '--admin-ports A,B,C', what: `PoP ${p.id} admin` },
    ]),
    { port: o.originPort, flag: '--origin-port N', what: 'demo origin' },
  ];
}

function portList(v: string | undefined, flag: string, fallback: number[]): number[] {
  if (v === undefined) return fallback;
  const ports = v.split(',').map((x) => intOption(x.trim(), flag, 0, 1));
  if (ports.length !== 3)
    throw new UsageError(`${flag} takes three ports separated by commas (one per PoP), got "${v}"`);
  return ports;
}

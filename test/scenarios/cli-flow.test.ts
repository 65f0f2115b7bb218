/**
 * The issue 4 "Done when" flow, driven only through the `verge` CLI (spawned as
 * `node --no-node-snapshot bin/verge.js ...` with VERGE_URL / VERGE_TOKEN) against a running
 * control plane and three managed edges: create a function from a file, publish it, attach it,
 * see its effect through each PoP, find its log line with `verge logs query`, publish version 2
 * and see it on all three PoPs, roll back, detach and delete it. Processes come from
 * `verge up` when that command exists, else from `verge control` plus three `verge edge
 * --control`; every wait is bounded and says what it was waiting for.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { freePorts } from '../harness/ports.js';
import { reapOnExit } from '../harness/reap.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'verge.js');
// The CLI from src/ through tsx, like this test (no build needed).
process.env.VERGE_FROM_SOURCE = '1';
const POPS = [
  { id: 'us-east-1', region: 'us-east' },
  { id: 'eu-west-1', region: 'eu-west' },
  { id: 'ap-south-1', region: 'ap-south' },
];
const HOST = 'flow.test';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const dir = mkdtempSync(join(tmpdir(), 'verge-cli-flow-'));
const children: ChildProcess[] = [];
const childLogs: string[] = [];
let origin: Server;
let controlUrl = '';
let token = '';
const edgePorts: number[] = [];

function startProcess(args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--no-node-snapshot', BIN, ...args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, VERGE_CONFIG: join(dir, 'profile.json') },
    detached: true,
  });
  reapOnExit(child);
  const tag = `[${args.slice(0, 2).join(' ')}${args.includes('--pop') ? ' ' + args[args.indexOf('--pop') + 1] : ''}]`;
  for (const s of [child.stdout!, child.stderr!])
    s.on('data', (d: Buffer) => childLogs.push(`${tag} ${d.toString().trimEnd()}`));
  children.push(child);
  return child;
}

/** Run one CLI command to completion (bounded). */
function verge(args: string[], opts: { token?: string | null; timeoutMs?: number } = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, VERGE_URL: controlUrl, VERGE_CONFIG: join(dir, 'profile.json') };
  if (opts.token !== null) env.VERGE_TOKEN = opts.token ?? token;
  else delete env.VERGE_TOKEN;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-node-snapshot', BIN, ...args], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`verge ${args.join(' ')} did not finish within ${opts.timeoutMs ?? 60_000} ms\n${stdout}\n${stderr}`),
      );
    }, opts.timeoutMs ?? 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/** Run a command that must succeed; returns its stdout. */
async function ok(args: string[], timeoutMs?: number): Promise<string> {
  const r = await verge(args, timeoutMs ? { timeoutMs } : {});
  assert.equal(r.code, 0, `verge ${args.join(' ')} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

async function okJson<T>(args: string[]): Promise<T> {
  return JSON.parse(await ok([...args, '--output', 'json'])) as T;
}

/** Poll `check` until it returns a value (not undefined), or fail naming `what`. */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}\n--- process output (last 40 lines) ---\n${childLogs.slice(-40).join('\n')}`,
  );
}

async function viaPop(
  port: number,
  path = '/hello',
): Promise<{ status: number; flow: string | undefined; pop: string | undefined }> {
  const res = await request(`http://127.0.0.1:${port}${path}`, {
    headers: { host: HOST },
    headersTimeout: 5000,
    bodyTimeout: 5000,
  });
  await res.body.text();
  const h = (n: string) => (res.headers[n] === undefined ? undefined : String(res.headers[n]));
  return { status: res.statusCode, flow: h('x-flow'), pop: h('x-verge-pop') };
}

/** Every PoP answers with `x-flow: want` (undefined = no header). */
async function allPopsShow(want: string | undefined): Promise<void> {
  for (const [i, port] of edgePorts.entries()) {
    await until(`PoP ${POPS[i]!.id} (port ${port}) to answer with x-flow ${want ?? '(none)'}`, async () => {
      const r = await viaPop(port);
      return r.status === 200 && r.flow === want ? true : undefined;
    });
  }
}

function fnSource(version: string): string {
  return `export const handler = async (event) => {
  const response = event.Records[0].cf.response;
  console.log('flow-fn ${version} ran');
  response.headers['x-flow'] = [{ key: 'X-Flow', value: '${version}' }];
  return response;
};
`;
}

async function startUp(): Promise<void> {
  const [port, p1, p2, p3, a1, a2, a3, originPort] = await freePorts(8);
  controlUrl = `http://127.0.0.1:${port}`;
  edgePorts.push(p1!, p2!, p3!);
  const dataDir = join(dir, 'verge');
  startProcess([
    'up',
    '--port',
    String(port),
    '--edge-ports',
    `${p1},${p2},${p3}`,
    '--admin-ports',
    `${a1},${a2},${a3}`,
    '--origin-port',
    String(originPort),
    // Relative, as users run it (`npm start` uses `.verge`); the child's cwd is `dir`.
    '--data-dir',
    'verge',
  ]);
  token = await until(
    '.verge/admin-token from verge up',
    async () =>
      existsSync(join(dataDir, 'admin-token'))
        ? readFileSync(join(dataDir, 'admin-token'), 'utf8').trim() || undefined
        : undefined,
    30_000,
  );
}

describe('the CLI drives the whole flow against a control plane and three PoPs', () => {
  before(async () => {
    origin = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'max-age=60' });
      res.end(`origin ${req.url}`);
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    await startUp();
    await until('the control plane to answer /healthz', async () =>
      (await request(`${controlUrl}/api/v1/healthz`)).statusCode === 200 ? true : undefined,
    );
    await until(
      'three PoPs registered and healthy',
      async () => {
        const pops = await okJson<{ id: string; health: string }[]>(['pops', 'list']);
        return POPS.every((p) => pops.some((x) => x.id === p.id && x.health === 'healthy')) ? true : undefined;
      },
      30_000,
    );
  });

  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(
      children
        .filter((c) => c.exitCode === null)
        .map(
          (c) =>
            new Promise<void>((r) => {
              const t = setTimeout(() => (c.kill('SIGKILL'), r()), 5000);
              c.on('exit', () => (clearTimeout(t), r()));
            }),
        ),
    );
    await new Promise<void>((r) => (origin ? origin.close(() => r()) : r()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('without a token the CLI is refused with a hint', async () => {
    const r = await verge(['functions', 'list'], { token: null });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /UNAUTHORIZED/);
    assert.match(r.stderr, /verge login/);
  });

  test(
    'create, publish, attach, see it on every PoP, find its log, v2, roll back, detach, delete',
    { timeout: 240_000 },
    async () => {
      writeFileSync(join(dir, 'flow.mjs'), fnSource('v1'));
      const originPort = (origin.address() as AddressInfo).port;
      writeFileSync(
        join(dir, 'dist.json'),
        JSON.stringify({
          id: 'flow',
          aliases: [HOST],
          origins: [{ id: 'o1', domainName: '127.0.0.1', port: originPort, protocol: 'http' }],
          defaultCacheBehavior: { targetOriginId: 'o1' },
        }),
      );

      // Create from a file and publish version 1.
      await ok(['functions', 'create', 'flow', '--code', 'flow.mjs']);
      const v1 = await okJson<{ version: number }>(['functions', 'publish', 'flow']);
      assert.equal(v1.version, 1);
      await ok(['distributions', 'create', '-f', 'dist.json']);
      await ok(['deploy', '--wait', '--distribution', 'flow', '--timeout', '30'], 45_000);
      await allPopsShow(undefined);

      // Attach it and see it on every PoP.
      await ok([
        'triggers',
        'add',
        '--distribution',
        'flow',
        '--behavior',
        'default',
        '--event',
        'viewer-response',
        '--function',
        'flow:1',
      ]);
      const deployed = await okJson<{ version: number; done: boolean }>([
        'deploy',
        '--wait',
        '--distribution',
        'flow',
        '--timeout',
        '30',
      ]);
      assert.equal(deployed.done, true);
      const withV1 = deployed.version;
      await allPopsShow('v1');
      const pops = await Promise.all(edgePorts.map((p) => viaPop(p)));
      assert.deepEqual(new Set(pops.map((p) => p.pop)).size, 3, 'three distinct PoPs answered');

      // Its console line reaches the control plane and `verge logs query` finds it.
      const found = await until(
        'the function log line in `verge logs query`',
        async () => {
          const items = await okJson<{ message: string; pop: string; functionVersion?: string }[]>([
            'logs',
            'query',
            '--function',
            'flow',
            '--since',
            '10m',
          ]);
          return items.find((r) => r.message.includes('flow-fn v1 ran'));
        },
        30_000,
      );
      assert.ok(
        POPS.some((p) => p.id === found.pop),
        `the log names a PoP (${found.pop})`,
      );
      const table = await ok(['logs', 'query', '--function', 'flow:1', '--since', '10m']);
      assert.match(table, /flow-fn v1 ran/);

      // Version 2 on all three PoPs.
      writeFileSync(join(dir, 'flow.mjs'), fnSource('v2'));
      await ok(['functions', 'update-code', 'flow', '--code', 'flow.mjs']);
      const v2 = await okJson<{ version: number }>(['functions', 'publish', 'flow']);
      assert.equal(v2.version, 2);
      assert.match(await ok(['functions', 'list']), /^flow\s.*\s2 \(latest v2\)\s/m, 'the VERSIONS column');
      await ok([
        'triggers',
        'add',
        '--distribution',
        'flow',
        '--behavior',
        'default',
        '--event',
        'viewer-response',
        '--function',
        'flow:2',
      ]);
      const progress = await ok(['deploy', '--wait', '--distribution', 'flow', '--timeout', '30'], 45_000);
      for (const p of POPS)
        assert.match(progress, new RegExp(`✓ ${p.id}\\s+applied v\\d+`), `deploy --wait shows ${p.id} applied`);
      await allPopsShow('v2');

      // Roll back to the snapshot that had version 1.
      await ok(['rollback', '--to', String(withV1), '--wait', '--timeout', '30'], 45_000);
      await allPopsShow('v1');

      // Detach, then delete.
      await ok(['triggers', 'remove', '--distribution', 'flow', '--behavior', 'default', '--event', 'viewer-response']);
      await ok(['deploy', '--wait', '--distribution', 'flow', '--timeout', '30'], 45_000);
      await allPopsShow(undefined);
      await ok(['functions', 'delete', 'flow']);
      const left = await okJson<{ name: string }[]>(['functions', 'list']);
      assert.equal(
        left.some((f) => f.name === 'flow'),
        false,
      );
    },
  );
});

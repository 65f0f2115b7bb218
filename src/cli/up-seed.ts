/**
 * @module cli/up-seed
 * `verge up`'s state in its data dir, made only through the control plane's own REST API
 * (docs/api.md), like any other client: the edge tokens of the three PoPs (`edges.json`, mode
 * 0600) and, on the first start only, the sample distribution `demo` with the two example
 * functions from `examples/up/` published and attached (a marker file keeps a restart from
 * seeding again, even if the user deleted the demo since).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PopSpec {
  id: string;
  region: string;
  location: string;
}

export const UP_POPS: readonly PopSpec[] = [
  { id: 'us-east-1', region: 'us-east', location: 'Ashburn, US' },
  { id: 'eu-west-1', region: 'eu-west', location: 'Dublin, IE' },
  { id: 'ap-south-1', region: 'ap-south', location: 'Mumbai, IN' },
];

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));

export type Api = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => Promise<T>;

/** A minimal JSON client for `/api/v1` with the admin token; errors carry the API's message. */
export function adminApi(baseUrl: string, token: string): Api {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${baseUrl}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    const json = text ? (JSON.parse(text) as unknown) : {};
    if (!res.ok) {
      const err = (json as { error?: { code?: string; message?: string } }).error;
      throw new Error(
        `${method} /api/v1${path}: ${res.status} ${err?.code ?? ''} ${err?.message ?? text.slice(0, 200)}`.trim(),
      );
    }
    return json as T;
  };
}

/** Edge tokens by PoP id, created through the API on first need and kept in `<dataDir>/edges.json`. */
export async function ensureEdgeTokens(
  api: Api,
  dataDir: string,
  pops: readonly PopSpec[],
): Promise<Record<string, string>> {
  const file = join(dataDir, 'edges.json');
  const saved: Record<string, { tokenId: string; token: string }> = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { pops: never }).pops
    : {};
  let changed = false;
  for (const p of pops) {
    if (saved[p.id]) continue;
    const t = await api<{ id: string; token: string }>('POST', '/tokens', {
      name: `edge ${p.id} (verge up)`,
      kind: 'edge',
      pop: p.id,
    });
    saved[p.id] = { tokenId: t.id, token: t.token };
    changed = true;
  }
  if (changed) writeFileSync(file, JSON.stringify({ pops: saved }, null, 2) + '\n', { mode: 0o600 });
  return Object.fromEntries(Object.entries(saved).map(([k, v]) => [k, v.token]));
}

/** The sample distribution and functions, once per data dir. Returns false when already seeded. */
export async function seedDemo(api: Api, dataDir: string, originPort: number): Promise<boolean> {
  const marker = join(dataDir, 'seeded');
  if (existsSync(marker)) return false;
  const demo = JSON.parse(readFileSync(join(EXAMPLES, 'demo', 'distribution.json'), 'utf8')) as {
    comment?: string;
    origins: Array<{ port?: number }>;
  };
  demo.comment =
    'The sample distribution `verge up` creates: the demo origin behind three PoPs, with two example functions.';
  for (const o of demo.origins) o.port = originPort;
  const exists = await api('GET', '/distributions/demo').then(
    () => true,
    () => false,
  );
  if (!exists) await api('POST', '/distributions', demo);
  for (const [name, eventType] of [
    ['short-links', 'viewer-request'],
    ['security-headers', 'viewer-response'],
  ] as const) {
    const source = readFileSync(join(EXAMPLES, 'up', `${name}.js`), 'utf8');
    const have = await api('GET', `/functions/${name}`).then(
      () => true,
      () => false,
    );
    // An interrupted first start may have created it already.
    if (!have)
      await api('POST', '/functions', {
        name,
        runtime: 'nodejs',
        handler: 'index.handler',
        code: { files: { 'index.js': source } },
      });
    const v = await api<{ version: number }>('POST', `/functions/${name}/publish`, {
      description: 'seeded by verge up',
    });
    await api('POST', '/triggers', {
      distributionId: 'demo',
      behavior: 'default',
      eventType,
      function: `${name}:${v.version}`,
    });
  }
  writeFileSync(marker, `${new Date().toISOString()}\n`);
  return true;
}

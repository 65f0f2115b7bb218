/**
 * @module edge/sync/testing/fake-control
 * A minimal control plane that speaks the edge half of the replication protocol
 * (src/shared/replication/protocol.ts), for the sync module's own tests: it holds snapshots,
 * bundles and KVS blobs in memory, streams `snapshot` / `invalidation` events, and records
 * registrations, acks, log and metric batches. Tests can corrupt a blob or stop answering.
 * Scenario tests use the real control plane; this one keeps unit tests independent of it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DistributionConfig } from '../../../shared/config/types.js';
import {
  canonicalJson,
  PROTOCOL_VERSION,
  type AckRequest,
  type BundleRef,
  type LogBatch,
  type MetricBatch,
  type RegisterRequest,
  type Snapshot,
  type WatchInvalidationEvent,
} from '../../../shared/replication/protocol.js';
import { sha256Hex } from '../local-store.js';
import { snapshotChecksum } from '../snapshot-plan.js';

export interface FakeControl {
  url: string;
  token: string;
  registrations: RegisterRequest[];
  acks: AckRequest[];
  invalidationAcks: Array<{ id: string; pop: string; removed: number }>;
  logBatches: LogBatch[];
  metricBatches: MetricBatch[];
  /** Bundle bytes by sha256; tests may overwrite an entry to serve corrupted bytes. */
  blobs: Map<string, Buffer>;
  /** Add a bundle (zip bytes); returns its sha256. */
  addBundle(bytes: Buffer, name: string, version: string): string;
  addKvs(data: Record<string, string>, name: string): string;
  /** Make a new snapshot from these distributions (function paths `bundle:<sha>`), announce it. */
  publish(distributions: DistributionConfig[], reason?: string): Snapshot;
  invalidate(ev: Omit<WatchInvalidationEvent, 'id'>): string;
  /** Tell the watchers invalidations were lost (the bus's replay window passed): they drop every cached object. */
  resync(): void;
  /** Answer every request with this status (0 = normal). */
  failWith: number;
  /** Close open watch streams (edges must reconnect). */
  dropStreams(): void;
  /** Resolves when `pop` acknowledged `version` (ok or not). */
  waitForAck(pop: string, version: number, timeoutMs?: number): Promise<AckRequest>;
  close(): Promise<void>;
}

export async function startFakeControl(opts: { token?: string; port?: number } = {}): Promise<FakeControl> {
  const token = opts.token ?? 'edge-token';
  const snapshots: Snapshot[] = [];
  const bundleRefs = new Map<string, BundleRef>();
  const kvsRefs = new Map<string, { sha256: string; keyCount: number; name: string }>();
  const streams = new Set<ServerResponse>();
  let invalidationSeq = 0;
  const ackWaiters: Array<() => boolean> = [];

  const send = (res: ServerResponse, event: string, data: unknown) =>
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  const latest = () => snapshots[snapshots.length - 1];

  const fake: FakeControl = {
    url: '',
    token,
    registrations: [],
    acks: [],
    invalidationAcks: [],
    logBatches: [],
    metricBatches: [],
    blobs: new Map(),
    failWith: 0,
    addBundle(bytes, name, version) {
      const sha = sha256Hex(bytes);
      fake.blobs.set(sha, bytes);
      bundleRefs.set(sha, { sha256: sha, size: bytes.length, name, version });
      return sha;
    },
    addKvs(data, name) {
      const bytes = Buffer.from(JSON.stringify(data));
      const sha = sha256Hex(bytes);
      fake.blobs.set(sha, bytes);
      kvsRefs.set(sha, { sha256: sha, keyCount: Object.keys(data).length, name });
      return sha;
    },
    publish(distributions, reason = 'test') {
      const used = JSON.stringify(distributions);
      const bundles = Object.fromEntries([...bundleRefs].filter(([sha]) => used.includes(`bundle:${sha}`)));
      const kvs = Object.fromEntries([...kvsRefs].filter(([sha]) => used.includes(`kvs:${sha}`)));
      const version = snapshots.length + 1;
      // Generations as the real control plane gives them: the version that last changed each one.
      const prev = latest();
      const generations: Record<string, number> = {};
      for (const d of distributions) {
        const before = prev?.distributions.find((x) => x.id === d.id);
        const same = before !== undefined && canonicalJson(before) === canonicalJson(d);
        generations[d.id] = same ? (prev!.generations?.[d.id] ?? prev!.version) : version;
      }
      const body = { version, distributions, bundles, kvs, generations };
      const s: Snapshot = {
        protocol: PROTOCOL_VERSION,
        ...body,
        createdAt: new Date().toISOString(),
        checksum: snapshotChecksum(body),
        reason,
      };
      snapshots.push(s);
      for (const res of streams) send(res, 'snapshot', { version: s.version, checksum: s.checksum });
      return s;
    },
    invalidate(ev) {
      const id = `inv-${++invalidationSeq}`;
      for (const res of streams) send(res, 'invalidation', { id, ...ev });
      return id;
    },
    resync() {
      for (const res of streams) send(res, 'resync', {});
    },
    dropStreams() {
      for (const res of streams) res.destroy();
      streams.clear();
    },
    waitForAck(pop, version, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const deadline = setTimeout(
          () => reject(new Error(`no ack from ${pop} for ${version} in ${timeoutMs} ms`)),
          timeoutMs,
        );
        const check = () => {
          const a = fake.acks.find((x) => x.pop === pop && x.version === version);
          if (!a) return false;
          clearTimeout(deadline);
          resolve(a);
          return true;
        };
        if (!check()) ackWaiters.push(check);
      });
    },
    async close() {
      fake.dropStreams();
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
    },
  };

  const route = async (req: IncomingMessage, res: ServerResponse, body: unknown) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const p = url.pathname.replace(/^\/api\/v1\/edge/, '');
    const json = (status: number, v: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(v));
    };
    if (req.method === 'POST' && p === '/register')
      return (
        fake.registrations.push(body as RegisterRequest),
        json(200, { ok: true, latest: latest()?.version ?? 0 })
      );
    if (req.method === 'GET' && p === '/watch') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write(': hello\n\n');
      streams.add(res);
      res.on('close', () => streams.delete(res));
      const after = Number(url.searchParams.get('after') ?? '0');
      const l = latest();
      if (l && l.version > after) send(res, 'snapshot', { version: l.version, checksum: l.checksum });
      return;
    }
    let m = /^\/snapshots\/(\d+)$/.exec(p);
    if (req.method === 'GET' && m) {
      const s = snapshots[Number(m[1]) - 1];
      return s ? json(200, s) : json(404, { error: { code: 'NOT_FOUND', message: 'no such snapshot' } });
    }
    m = /^\/(bundles|kvs)\/([0-9a-f]+)$/.exec(p);
    if (req.method === 'GET' && m) {
      const b = fake.blobs.get(m[2]!);
      if (!b) return json(404, { error: { code: 'NOT_FOUND', message: 'no such blob' } });
      res.writeHead(200, {
        'content-type': m[1] === 'kvs' ? 'application/json' : 'application/zip',
        'content-length': b.length,
      });
      return res.end(b);
    }
    if (req.method === 'POST' && p === '/acks') {
      fake.acks.push(body as AckRequest);
      for (const w of [...ackWaiters]) if (w()) ackWaiters.splice(ackWaiters.indexOf(w), 1);
      return json(200, { ok: true });
    }
    m = /^\/invalidations\/([^/]+)\/ack$/.exec(p);
    if (req.method === 'POST' && m)
      return (fake.invalidationAcks.push({ id: m[1]!, ...(body as { pop: string; removed: number }) }), json(200, {}));
    if (req.method === 'POST' && p === '/logs')
      return (fake.logBatches.push(body as LogBatch), json(200, { accepted: (body as LogBatch).records.length }));
    if (req.method === 'POST' && p === '/metrics') return (fake.metricBatches.push(body as MetricBatch), json(200, {}));
    json(404, { error: { code: 'NOT_FOUND', message: `no route ${req.method} ${p}` } });
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (fake.failWith) {
        res.writeHead(fake.failWith);
        return void res.end();
      }
      if (req.headers.authorization !== `Bearer ${token}`) {
        res.writeHead(401, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ error: { code: 'UNAUTHORIZED', message: 'bad token' } }));
      }
      const text = Buffer.concat(chunks).toString('utf8');
      void route(req, res, text ? JSON.parse(text) : undefined).catch((e: Error) => res.writeHead(500).end(e.message));
    });
  });
  await new Promise<void>((r) => server.listen(opts.port ?? 0, '127.0.0.1', () => r()));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

/**
 * @module test/scenarios/edge-workers-growing
 * Issue 12 ("every core", Edge v2): collapsing across workers streams. Against a spawned `verge
 * edge --workers 2` and the pattern origin (test/harness/pattern-origin.ts) holding a cold 32 MiB
 * object after its first MiB: concurrent viewers spread over both workers (X-Verge-Worker) make
 * one origin fetch, every one of them, on the leader's worker or the other, has its first byte
 * while the origin is still held (so the other worker read the leader's file as it grew, not the
 * finished object), and all get identical bytes; a Range is answered by either worker while the
 * origin is held. An invalidation while the object is written lets its readers on the other
 * worker finish it (even once the leader's own viewers have left), and a viewer after the 201, on
 * either worker, starts a new fetch instead of reading the old object. A leader killed mid-body
 * (SIGKILL) cuts the other worker's viewers off (an error, never a short body that looks
 * complete), the primary removes its partial body file when it sees it exit, and the next
 * request is fetched again and served whole.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { writePatternDistribution } from '../harness/edge.js';
import { spawnEdge, type EdgeProcess } from '../harness/edge-process.js';
import {
  hashedGet,
  patternHash,
  patternRangeHash,
  startPatternOrigin,
  type PatternOrigin,
} from '../harness/pattern-origin.js';

// bin/verge.js runs src/ through tsx, like this test (no build needed).
process.env.VERGE_FROM_SOURCE = '1';

const MiB = 1024 * 1024;
const SIZE = 32 * MiB;

/** The body files (`<sha256>.<12 hex>`) under a cache folder, as paths. */
function bodyFiles(cache: string): string[] {
  return readdirSync(cache, { recursive: true, encoding: 'utf8' })
    .filter((f) => /(^|\/)[0-9a-f]{64}\.[0-9a-f]{12}$/.test(f))
    .map((f) => join(cache, f));
}

/** One viewer: its headers, when its first byte came, then what it read. */
interface Viewer {
  status: number;
  worker: string;
  cache: string;
  length: string | undefined;
  /** Resolves at the first body byte. */
  first: Promise<void>;
  /** Whether the origin was still held when the first byte came (set by then). */
  firstWhileHeld: () => boolean | null;
  read: Promise<{ bytes: number; hash: string; error: Error | null }>;
  /** Drop the connection. */
  leave(): void;
}

describe(
  'verge edge --workers 2: a follower on another worker reads the object as it is written',
  { timeout: 240_000 },
  () => {
    let origin: PatternOrigin;
    let edge: EdgeProcess;
    let dir: string;
    let agent: Agent;
    let admin: string;

    /** A GET on a connection of its own (so the cluster may hand it to either worker). */
    async function view(path: string, held: () => boolean): Promise<Viewer> {
      // A new connection each (an idle one kept alive could be any worker's): node:cluster hands
      // new connections to the workers in turn, so concurrent viewers land on both.
      const dispatcher = new Agent({ connections: 1 });
      const res = await request(edge.url + path, {
        dispatcher,
        headers: { host: 'test.local', 'accept-encoding': 'identity' },
      });
      let firstWhileHeld: boolean | null = null;
      let gotFirst!: () => void;
      const first = new Promise<void>((r) => (gotFirst = r));
      const read = (async () => {
        const hash = createHash('sha256');
        let bytes = 0;
        let error: Error | null = null;
        try {
          for await (const c of res.body) {
            const chunk = c as Buffer;
            if (bytes === 0) {
              firstWhileHeld = held();
              gotFirst();
            }
            hash.update(chunk);
            bytes += chunk.length;
          }
        } catch (e) {
          error = e as Error;
        }
        gotFirst();
        await dispatcher.destroy();
        return { bytes, hash: hash.digest('hex'), error };
      })();
      const h = (n: string) => {
        const v = res.headers[n];
        return Array.isArray(v) ? v.join(',') : v;
      };
      return {
        status: res.statusCode,
        worker: String(h('x-verge-worker')),
        cache: String(h('x-cache')),
        length: h('content-length'),
        first,
        firstWhileHeld: () => firstWhileHeld,
        read,
        leave: () => res.body.destroy(),
      };
    }

    /**
     * `n` concurrent viewers of a held object, and the wait until each has its first byte. The
     * wait is bounded: an edge that made followers wait for the whole object would give them no
     * byte while it is held, so past the bound the origin goes on (and the assertions on
     * `firstWhileHeld` fail instead of the test hanging).
     */
    async function viewersOfHeld(path: string, n: number): Promise<{ viewers: Viewer[]; release: () => void }> {
      let held = true;
      const release = () => {
        held = false;
        origin.release(path);
      };
      const pending = Array.from({ length: n }, () => view(path, () => held));
      let timer!: NodeJS.Timeout;
      const allFirst = await Promise.race([
        Promise.all(pending.map(async (v) => (await v).first)).then(() => true),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 15_000))),
      ]);
      clearTimeout(timer);
      if (!allFirst) release();
      return { viewers: await Promise.all(pending), release };
    }

    const health = async () =>
      (await (await fetch(`${admin}/healthz`)).json()) as {
        workers: Array<{ id: number; pid: number; state: string }>;
      };

    before(async () => {
      origin = await startPatternOrigin();
      dir = mkdtempSync(join(tmpdir(), 'verge-workers-growing-'));
      const cfg = writePatternDistribution(dir, origin.port);
      edge = await spawnEdge(cfg, ['--workers', '2', '--data-dir', join(dir, 'pop'), '--cache-size', '64']);
      for (let i = 0; i < 200 && !/^workers\s/m.test(edge.output()); i++) await new Promise((r) => setTimeout(r, 25));
      admin = /admin\s+(http:\/\/\S+?)\/healthz/.exec(edge.output())![1]!;
      agent = new Agent({ connections: 16 });
    });
    after(async () => {
      await agent?.close();
      await edge?.stop();
      await origin?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test('viewers on both workers: one origin fetch, every first byte while the origin is held, identical bytes', async () => {
      const path = `/obj/21/${SIZE}/hold`;
      const { viewers, release } = await viewersOfHeld(path, 6);
      // While the origin is still held: a Range within the bytes written so far, on either worker.
      const ranged = new Map<string, { status: number; range: string; hash: string }>();
      for (let i = 0; i < 10 && ranged.size < 2; i++) {
        const once = new Agent({ connections: 1 });
        const res = await request(edge.url + path, {
          dispatcher: once,
          headers: { host: 'test.local', 'accept-encoding': 'identity', range: 'bytes=1000-1999' },
          // Bounded: an edge that made this worker wait for the whole object would not answer.
          signal: AbortSignal.timeout(10_000),
        }).catch(() => null);
        if (res) {
          const body = Buffer.from(await res.body.arrayBuffer());
          ranged.set(String(res.headers['x-verge-worker']), {
            status: res.statusCode,
            range: String(res.headers['content-range']),
            hash: createHash('sha256').update(body).digest('hex'),
          });
        }
        await once.close();
      }
      const rangedWhileHeld = origin.finished(path) === false && !viewers.some((v) => v.firstWhileHeld() === false);
      release();
      const reads = await Promise.all(viewers.map((v) => v.read));
      assert.deepEqual([...new Set(viewers.map((v) => v.worker))].sort(), ['1', '2'], 'viewers on both workers');
      const want = patternHash(21, SIZE);
      viewers.forEach((v, i) => {
        assert.equal(v.status, 200);
        assert.equal(reads[i]!.error, null);
        assert.equal(reads[i]!.bytes, SIZE);
        assert.equal(reads[i]!.hash, want);
        assert.equal(
          v.firstWhileHeld(),
          true,
          `worker ${v.worker}'s viewer (${v.cache}) had its first byte only after the origin went past its first MiB`,
        );
      });
      assert.deepEqual(
        [...ranged.keys()].sort(),
        ['1', '2'],
        'a Range answered by each worker while the origin was held',
      );
      assert.ok(rangedWhileHeld);
      for (const r of ranged.values())
        assert.deepEqual(r, { status: 206, range: `bytes 1000-1999/${SIZE}`, hash: patternRangeHash(21, 1000, 2000) });
      assert.equal(origin.hits(path), 1, 'one origin fetch for the whole PoP');
      assert.equal(viewers.filter((v) => /^Miss/.test(v.cache)).length, 1);
      // Whole on the shared disk now: a Hit, whichever worker answers.
      const hit = await hashedGet(edge.url, path, agent);
      assert.match(String(hit.headers['x-cache']), /^Hit/);
      assert.equal(hit.hash, want);
      assert.equal(origin.hits(path), 1);
    });

    test('an invalidation while the object is written: its readers finish it, the next miss fetches anew', async () => {
      const path = `/obj/23/${SIZE}/hold`;
      const { viewers, release } = await viewersOfHeld(path, 4);
      assert.deepEqual([...new Set(viewers.map((v) => v.worker))].sort(), ['1', '2']);
      const token = readFileSync(join(dir, 'pop', 'admin-token'), 'utf8').trim();
      const inv = await fetch(`${admin}/invalidations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ paths: [path] }),
      });
      assert.equal(inv.status, 201);
      // The old object is not kept now, and its leader's own viewers leave: the other worker's
      // readers must still get all of it (the fill goes on for them).
      const leaderWorker = viewers.find((v) => /^Miss/.test(v.cache))!.worker;
      for (const v of viewers) if (v.worker === leaderWorker) v.leave();
      const stay = viewers.filter((v) => v.worker !== leaderWorker);
      // After the 201, viewers on each worker: none may read the old object.
      const later: Viewer[] = [];
      for (let i = 0; i < 10 && new Set(later.map((v) => v.worker)).size < 2; i++)
        later.push(await view(path, () => true));
      assert.deepEqual([...new Set(later.map((v) => v.worker))].sort(), ['1', '2']);
      assert.match(later[0]!.cache, /^Miss/, 'the first viewer after the invalidation joined the old fetch');
      assert.equal(origin.hits(path), 2, 'one new origin fetch after the invalidation');
      release();
      const want = patternHash(23, SIZE);
      for (const v of [...stay, ...later]) {
        const r = await v.read;
        assert.deepEqual([r.error, r.bytes, r.hash], [null, SIZE, want], `worker ${v.worker}'s ${v.cache} viewer`);
      }
      const hit = await hashedGet(edge.url, path, agent);
      assert.match(String(hit.headers['x-cache']), /^Hit/);
      assert.equal(hit.hash, want);
      assert.equal(origin.hits(path), 2);
    });

    test('a leader killed mid-body cuts the other worker off and its partial file goes; the next request is fetched again, whole', async () => {
      const path = `/obj/22/${SIZE}/hold`;
      const filesBefore = bodyFiles(join(dir, 'pop', 'cache'));
      const { viewers, release } = await viewersOfHeld(path, 4);
      const partial = bodyFiles(join(dir, 'pop', 'cache')).filter((f) => !filesBefore.includes(f));
      assert.equal(partial.length, 1, 'the leader is writing one body file');
      const leader = viewers.find((v) => /^Miss/.test(v.cache));
      assert.ok(leader, 'one viewer started the fetch');
      const others = viewers.filter((v) => v.worker !== leader.worker);
      assert.ok(others.length > 0, 'a viewer on the other worker');
      for (const v of others) assert.equal(v.firstWhileHeld(), true, 'the follower was reading before the kill');
      const pid = (await health()).workers.find((w) => String(w.id) === leader.worker)!.pid;
      process.kill(pid, 'SIGKILL');
      for (const v of others) {
        const r = await v.read;
        assert.equal(v.length, String(SIZE), 'the viewer was promised the whole object');
        assert.ok(r.error !== null, `worker ${v.worker}'s viewer got a ${r.bytes}-byte body with no error`);
        assert.ok(r.bytes < SIZE);
      }
      await Promise.all(viewers.map((v) => v.read));
      // The primary removes the dead leader's partial file when it sees it exit, not at its next start.
      for (let i = 0; i < 200 && existsSync(partial[0]!); i++) await new Promise((r) => setTimeout(r, 25));
      assert.equal(existsSync(partial[0]!), false, 'the killed leader left its partial body file behind');
      assert.match(edge.output(), /removed the partial cache file of a worker that exited/);
      release();
      const want = patternHash(22, SIZE);
      const again = await hashedGet(edge.url, path, agent);
      assert.equal(again.error, null);
      assert.equal(again.hash, want, 'the cut-off object was served as stored');
      assert.match(String(again.headers['x-cache']), /^Miss/);
      assert.equal(origin.hits(path), 2);
      const after = await hashedGet(edge.url, path, agent);
      assert.equal(after.hash, want);
    });
  },
);

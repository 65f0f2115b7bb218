/**
 * @module edge/workers/primary
 * The primary of `verge edge --workers N`: forks N workers (node:cluster, which shares the
 * viewer ports among them), hands each the current plan when it starts, and answers the PoP's
 * one admin listener by asking every worker: /metrics labels each worker's samples, POST
 * /invalidations answers 201 only once every worker has removed the objects, a new plan (a
 * SIGHUP reload, a managed snapshot) goes to every worker and is rolled back on all of them if
 * one refuses it. It also grants the cross-worker fetch leases and relays a leader's progress
 * on the object it writes to the workers following it (leases.ts). A worker that exits
 * has the body files it was writing removed (they would never be committed; without this they
 * stayed until the next start's scan) and is forked again after a short backoff while the
 * others keep serving; invalidations made
 * while it starts are handed to it once it is ready. Node 20's net has no SO_REUSEPORT, hence
 * cluster.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ERROR_CODES, VergeError, type ErrorCode } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { EdgePlan } from '../config/plan.js';
import { startAdmin, type AdminApi } from '../server/admin.js';
import { removeInterruptedBody } from '../cache/disk-scan.js';
import { LeaseTable, ProgressOutbox, invalidationMatch, type Out } from './leases.js';
import { mergeWorkerMetrics } from './metrics-merge.js';
import { planSourcesOf } from './plan-sources.js';
import { isVergeMessage, type ToPrimary, type ToWorker, type WireError, type WorkerOp } from './protocol.js';

export interface FleetOptions {
  workers: number;
  popId: string;
  region: string;
  /** The plan the workers start with (and that a restarted worker is handed). */
  plan: EdgePlan;
  admin?: { host: string; port: number; token: string; where: string };
  logger: Logger;
  /** Restart backoff after a worker exits: first delay and cap (default 100 ms to 5 s). */
  restartBackoffMs?: { initial: number; max: number };
}

interface Slot {
  id: number;
  worker: Worker;
  ready: boolean;
  startedAt: number;
  /** Invalidations made while this worker was starting, handed over once it is ready. */
  missed: unknown[];
  failure?: WireError;
}

interface Pending {
  slot: Slot;
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

export class WorkerFleet {
  readonly #o: FleetOptions;
  readonly #slots = new Map<number, Slot>();
  readonly #pending = new Map<number, Pending>();
  readonly #leases = new LeaseTable();
  readonly #progress = new ProgressOutbox((id, msg, sent) => {
    const s = this.#slots.get(id);
    if (s === undefined || !s.worker.isConnected()) return false;
    s.worker.send(msg, () => sent());
    return true;
  });
  #plan: EdgePlan;
  #nextId = 0;
  #closing = false;
  #restarts = 0;
  #delay: number;
  #admin: Server | null = null;
  #readyWaiters: Array<() => void> = [];
  url = '';
  httpsUrl: string | null = null;
  adminUrl: string | null = null;

  constructor(o: FleetOptions) {
    this.#o = o;
    this.#plan = o.plan;
    this.#delay = o.restartBackoffMs?.initial ?? 100;
  }

  plan(): EdgePlan {
    return this.#plan;
  }

  /** Fork every worker and wait until all listen; a worker that cannot start fails the start. */
  async start(): Promise<void> {
    const argv = process.execArgv.includes('--no-node-snapshot')
      ? process.execArgv
      : ['--no-node-snapshot', ...process.execArgv];
    cluster.setupPrimary({ execArgv: argv });
    const started: Array<Promise<void>> = [];
    for (let id = 1; id <= this.#o.workers; id++) started.push(this.#fork(id));
    try {
      await Promise.all(started);
    } catch (e) {
      await this.close();
      throw e;
    }
    if (this.#o.admin) {
      const a = this.#o.admin;
      this.#admin = await startAdmin(this.adminApi(), a.host, a.port, { token: a.token, where: a.where });
      this.adminUrl = `http://${a.host}:${(this.#admin.address() as AddressInfo).port}`;
    }
  }

  #fork(id: number): Promise<void> {
    const worker = cluster.fork({ VERGE_EDGE_WORKER: String(id) });
    const slot: Slot = { id, worker, ready: false, startedAt: Date.now(), missed: [] };
    const prev = this.#slots.get(id);
    if (prev) slot.missed = prev.missed;
    this.#slots.set(id, slot);
    return new Promise((resolve, reject) => {
      worker.on('message', (m: unknown) => {
        if (!isVergeMessage<ToPrimary>(m)) return;
        if (m.verge === 'ready') {
          slot.ready = true;
          this.url = m.url;
          this.httpsUrl = m.httpsUrl;
          this.#onReady(slot, m.planVersion);
          resolve();
        } else this.#onMessage(slot, m);
      });
      worker.on('exit', (code, signal) => {
        const failure = slot.failure;
        this.#onExit(slot, code, signal);
        const why = failure?.message ?? `exit ${code ?? signal}`;
        reject(Object.assign(new Error(`edge worker ${id} did not start: ${why}`), failure ?? {}));
      });
    });
  }

  #onReady(slot: Slot, planVersion: string): void {
    // The plan may have changed while it started; invalidations too.
    if (planVersion !== this.#plan.version)
      this.#request(slot, 'apply', planSourcesOf(this.#plan), 120_000).catch((e: Error) =>
        this.#o.logger.log('error', 'a restarted worker refused the current plan', {
          worker: slot.id,
          error: e.message,
        }),
      );
    for (const body of slot.missed.splice(0))
      this.#request(slot, 'invalidate', body).catch((e: Error) =>
        this.#o.logger.log('warn', 'invalidation not handed to a restarted worker', {
          worker: slot.id,
          error: e.message,
        }),
      );
    for (const w of this.#readyWaiters.splice(0)) w();
  }

  #onMessage(slot: Slot, m: ToPrimary): void {
    switch (m.verge) {
      case 'hello':
        this.#send(slot, { verge: 'boot', plan: planSourcesOf(this.#plan) });
        return;
      case 'failed':
        slot.failure = m.error;
        return;
      case 'res': {
        const p = this.#pending.get(m.id);
        if (!p) return;
        this.#pending.delete(m.id);
        clearTimeout(p.timer);
        if (m.ok) p.resolve(m.value);
        else p.reject(fromWire(m.error));
        return;
      }
      case 'lease':
        this.#relay(this.#leases.lease(slot.id, m.id, m.key));
        return;
      case 'growing':
        this.#relay(this.#leases.growing(slot.id, m.id, m.key, m.object, m.written));
        return;
      case 'grown':
        for (const p of this.#leases.grown(slot.id, m.id, m.written)) this.#progress.post(p);
        return;
      case 'release':
        this.#relay(this.#leases.release(slot.id, m.id, m.key, m.end));
        return;
    }
  }

  #relay(out: Out[]): void {
    for (const { worker, msg } of out) {
      if (msg.verge === 'end') this.#progress.drop(msg.stream);
      const s = this.#slots.get(worker);
      if (s) this.#send(s, msg);
    }
  }

  /** Before an invalidation reaches the workers and again once all have applied it (see leases.ts). */
  async #invalidating<T>(body: unknown, apply: () => Promise<T>): Promise<T> {
    const match = invalidationMatch(body);
    this.#relay(this.#leases.withdraw(match));
    const r = await apply();
    // A leader may have announced a matching object before the invalidation reached it.
    this.#relay(this.#leases.withdraw(match));
    return r;
  }

  #onExit(slot: Slot, code: number | null, signal: string | null): void {
    const wasReady = slot.ready;
    slot.ready = false;
    for (const [id, p] of this.#pending) {
      if (p.slot !== slot) continue;
      this.#pending.delete(id);
      clearTimeout(p.timer);
      p.reject(new VergeError('EDGE_WORKER_UNAVAILABLE', `edge worker ${slot.id} exited before it answered`));
    }
    this.#progress.gone(slot.id);
    const interrupted = this.#leases.writing(slot.id);
    this.#relay(this.#leases.gone(slot.id));
    // Its writes in progress will never be committed: their files go now, not at the next start.
    for (const file of interrupted)
      void removeInterruptedBody(file).then((removed) => {
        if (removed)
          this.#o.logger.log('info', 'removed the partial cache file of a worker that exited', {
            worker: slot.id,
            file,
          });
      });
    // Exit code 0 is a worker told to stop (Ctrl-C reaches the whole process group).
    if (this.#closing || !wasReady || code === 0) return;
    const max = this.#o.restartBackoffMs?.max ?? 5000;
    // A worker that dies soon after starting doubles the wait; one that ran a while resets it.
    const lived = Date.now() - slot.startedAt;
    this.#delay = lived > 10_000 ? (this.#o.restartBackoffMs?.initial ?? 100) : Math.min(this.#delay * 2, max);
    this.#restarts++;
    this.#o.logger.log('warn', 'edge worker exited; restarting it', {
      worker: slot.id,
      pid: slot.worker.process.pid,
      code,
      signal,
      inMs: this.#delay,
    });
    setTimeout(() => {
      if (this.#closing) return;
      this.#fork(slot.id).catch((e: Error) =>
        this.#o.logger.log('error', 'edge worker failed to restart', { worker: slot.id, error: e.message }),
      );
    }, this.#delay).unref();
  }

  #send(slot: Slot, m: ToWorker): void {
    if (slot.worker.isConnected()) slot.worker.send(m);
  }

  #request(slot: Slot, op: WorkerOp, body?: unknown, timeoutMs = 30_000): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = ++this.#nextId;
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(
          new VergeError('EDGE_WORKER_UNAVAILABLE', `edge worker ${slot.id} did not answer ${op} in ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.#pending.set(id, { slot, resolve, reject, timer });
      this.#send(slot, { verge: 'req', id, op, ...(body === undefined ? {} : { body }) });
    });
  }

  #ready(): Slot[] {
    const out = [...this.#slots.values()].filter((s) => s.ready);
    if (out.length === 0)
      throw new VergeError('EDGE_WORKER_UNAVAILABLE', 'no edge worker is running (they are restarting)');
    return out;
  }

  /** Workers' pids by number (tests kill one; `verge edge` prints them). */
  pids(): Record<number, number | undefined> {
    return Object.fromEntries([...this.#slots].map(([id, s]) => [id, s.worker.process.pid]));
  }

  /** Ask every running worker; a worker that is starting hears about invalidations when ready. */
  async #everyWorker(op: WorkerOp, body?: unknown, timeoutMs?: number): Promise<Array<[number, unknown]>> {
    const ready = this.#ready();
    if (op === 'invalidate' || op === 'purge') for (const s of this.#slots.values()) if (!s.ready) s.missed.push(body);
    return Promise.all(
      ready.map(async (s) => [s.id, await this.#request(s, op, body, timeoutMs)] as [number, unknown]),
    );
  }

  /** Load a new plan on every worker; if one refuses, every worker goes back to the old plan. */
  async applyPlan(plan: EdgePlan): Promise<void> {
    const prev = this.#plan;
    this.#plan = plan;
    const ready = this.#ready();
    const results = await Promise.allSettled(ready.map((s) => this.#request(s, 'apply', planSourcesOf(plan), 120_000)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (!failed) return;
    this.#plan = prev;
    await Promise.allSettled(
      ready
        .filter((_, i) => results[i]!.status === 'fulfilled')
        .map((s) => this.#request(s, 'apply', planSourcesOf(prev), 120_000)),
    );
    throw failed.reason;
  }

  /** Managed mode's invalidation events: every worker drops the objects; the count is summed. */
  async invalidate(req: {
    distributionId: string;
    paths?: readonly string[];
    tags?: readonly string[];
  }): Promise<number> {
    const answers = await this.#invalidating(req, () => this.#everyWorker('purge', req));
    return answers.reduce((n, [, v]) => n + Number(v), 0);
  }

  adminApi(): AdminApi {
    return {
      health: () => {
        const slots = [...this.#slots.values()];
        return {
          status: slots.some((s) => s.ready) ? 'ok' : 'starting',
          pop: this.#o.popId,
          region: this.#o.region,
          planVersion: this.#plan.version,
          distributions: this.#plan.distributions.length,
          workers: slots.map((s) => ({ id: s.id, pid: s.worker.process.pid, state: s.ready ? 'ready' : 'starting' })),
        };
      },
      metrics: async () => {
        const texts = (await this.#everyWorker('metrics')) as Array<[number, string]>;
        const ready = [...this.#slots.values()].filter((s) => s.ready).length;
        return (
          mergeWorkerMetrics(texts) +
          `# HELP verge_edge_workers Worker processes serving (verge edge --workers N).\n# TYPE verge_edge_workers gauge\nverge_edge_workers ${ready}\n` +
          `# HELP verge_edge_worker_restarts_total Workers restarted after they exited.\n# TYPE verge_edge_worker_restarts_total counter\nverge_edge_worker_restarts_total ${this.#restarts}\n`
        );
      },
      config: async () => (await this.#request(this.#ready()[0]!, 'config')) as Record<string, unknown>,
      invalidate: async (body) => {
        const answers = await this.#invalidating(body, () => this.#everyWorker('invalidate', body));
        const first = answers[0]![1] as Record<string, unknown>;
        const removed = answers.reduce((n, [, v]) => n + Number((v as { removed?: number }).removed ?? 0), 0);
        return { ...first, removed, workers: answers.length };
      },
    };
  }

  /** Resolves when some worker is ready (after a restart). */
  whenReady(): Promise<void> {
    if ([...this.#slots.values()].some((s) => s.ready)) return Promise.resolve();
    return new Promise((resolve) => this.#readyWaiters.push(resolve));
  }

  /** Stop the admin listener and every worker (SIGTERM, then SIGKILL after `graceMs`). */
  async close(graceMs = 10_000): Promise<void> {
    this.#closing = true;
    if (this.#admin) await new Promise<void>((resolve) => this.#admin!.close(() => resolve()));
    await Promise.all(
      [...this.#slots.values()].map(
        (s) =>
          new Promise<void>((resolve) => {
            const p = s.worker.process;
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            const timer = setTimeout(() => p.kill('SIGKILL'), graceMs);
            p.once('exit', () => (clearTimeout(timer), resolve()));
            p.kill('SIGTERM');
          }),
      ),
    );
  }
}

function fromWire(e: WireError): Error {
  if (e.code !== undefined && e.code in ERROR_CODES) return new VergeError(e.code as ErrorCode, e.message);
  return Object.assign(new Error(e.message), e);
}

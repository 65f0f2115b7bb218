/**
 * @module test/harness/health
 * The PoP's health while a test attacks it (issue 9): a poller that requests a function-free
 * path over one kept-alive connection, one request at a time, and records each latency and
 * every error; and the bound a containment test holds it to. Latency on a shared, loaded CI
 * machine is noisy, so the bound is relative to a baseline measured by the same test, just
 * before the attack: p99 under attack ≤ max(floorMs, factor × baseline p99). RSS is read from
 * /proc (the edge runs in the test's process).
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';

export interface HealthReport {
  count: number;
  errors: string[];
  p50: number;
  p99: number;
  max: number;
}

export interface HealthPoll {
  stop(): Promise<HealthReport>;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * Poll `url` (with `host`) until stopped, pausing `gapMs` between requests; a request that takes
 * longer than `timeoutMs` counts as an error. At most `maxCount` requests (the loop is bounded).
 */
export function pollHealth(
  url: string,
  host: string,
  opts: { gapMs?: number; timeoutMs?: number; maxCount?: number } = {},
): HealthPoll {
  const gap = opts.gapMs ?? 5;
  const timeout = opts.timeoutMs ?? 5_000;
  const maxCount = opts.maxCount ?? 20_000;
  const agent = new Agent({ connections: 1, keepAliveTimeout: 30_000 });
  const times: number[] = [];
  const errors: string[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped && times.length + errors.length < maxCount) {
      const t0 = performance.now();
      try {
        const r = await request(url, {
          headers: { host },
          dispatcher: agent,
          headersTimeout: timeout,
          bodyTimeout: timeout,
        });
        await r.body.arrayBuffer();
        if (r.statusCode !== 200) errors.push(`status ${r.statusCode}`);
        else times.push(performance.now() - t0);
      } catch (e) {
        errors.push((e as Error).message);
      }
      await new Promise((r) => setTimeout(r, gap));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      await agent.close();
      const sorted = [...times].sort((a, b) => a - b);
      return {
        count: times.length,
        errors,
        p50: quantile(sorted, 0.5),
        p99: quantile(sorted, 0.99),
        max: sorted.at(-1) ?? 0,
      };
    },
  };
}

/** Poll for `ms` with nothing else going on: the baseline the attack is compared with. */
export async function baseline(url: string, host: string, ms = 1_500): Promise<HealthReport> {
  const p = pollHealth(url, host);
  await new Promise((r) => setTimeout(r, ms));
  return p.stop();
}

/** The latency bound under attack: max(floorMs, factor × baseline p99). */
export function latencyBound(base: HealthReport, factor = 3, floorMs = 100): number {
  return Math.max(floorMs, factor * base.p99);
}

/** Resident set size of this process, in MB (the edge under test runs in it). */
export function rssMB(): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.memoryUsage().rss / 1048576;
}

/** A readable summary for assertion messages. */
export function describeHealth(r: HealthReport): string {
  return `${r.count} requests, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms, ${r.errors.length} errors${r.errors.length ? ` (${r.errors.slice(0, 3).join('; ')})` : ''}`;
}

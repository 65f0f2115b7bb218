/**
 * @module bench/lib/wrk
 * Runs wrk (the Debian `wrk` package) with a bounded duration and parses its text report:
 * requests/s, the latency distribution (`--latency`), non-2xx/3xx responses and socket errors.
 */
import { startChild } from './procs.js';

export interface WrkResult {
  requestsPerSec: number;
  requests: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  /** Responses with a status outside 2xx/3xx. */
  non2xx3xx: number;
  /** connect + read + write + timeout errors. */
  socketErrors: number;
}

export interface WrkOptions {
  wrk: string;
  url: string;
  host: string;
  threads: number;
  connections: number;
  durationSec: number;
}

/** Run wrk once; rejects if it fails or runs far past its duration. */
export async function runWrk(o: WrkOptions): Promise<WrkResult> {
  const args = [
    `-t${o.threads}`,
    `-c${o.connections}`,
    `-d${o.durationSec}s`,
    '--latency',
    '-H',
    `Host: ${o.host}`,
    o.url,
  ];
  // Through startChild, so that Ctrl-C stops wrk with the servers.
  const child = startChild('wrk', o.wrk, args);
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), (o.durationSec + 15) * 1000);
  const code = await child.exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`wrk exited with ${code}:\n${child.output()}`);
  return parseWrk(child.output());
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** `812.00us`, `1.52ms`, `2.01s` → milliseconds. */
export function durationMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) throw new Error(`not a wrk duration: ${JSON.stringify(text)}`);
  // Rounded to wrk's resolution (1 µs) so that 2.01s is 2010, not 2009.9999999999998.
  return Math.round(Number(m[1]) * UNIT_MS[m[2]!]! * 1000) / 1000;
}

/** Parse wrk's report. Throws when a figure the benchmark needs is missing. */
export function parseWrk(text: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text);
  const total = /(\d+) requests in /.exec(text);
  if (!rps || !total) throw new Error(`no requests/s in wrk output:\n${text}`);
  const pct = (p: number): number => {
    const m = new RegExp(`^\\s*${p}(?:\\.0+)?%\\s+([\\d.]+(?:us|ms|s|m))\\s*$`, 'm').exec(text);
    if (!m) throw new Error(`no ${p}% latency in wrk output (was --latency given?):\n${text}`);
    return durationMs(m[1]!);
  };
  const non = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  return {
    requestsPerSec: Number(rps[1]),
    requests: Number(total[1]),
    p50Ms: pct(50),
    p90Ms: pct(90),
    p99Ms: pct(99),
    non2xx3xx: non ? Number(non[1]) : 0,
    socketErrors: sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
  };
}

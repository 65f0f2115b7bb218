/**
 * @module edge/policies/server-timing
 * The `Server-Timing` section of a response headers policy (spec 7.9; DG "Server-Timing header"):
 * sampling, the `Pragma: server-timing` override, CloudFront's metric names and order, and merging
 * the origin's own Server-Timing on misses (on hits only CloudFront's metrics are sent).
 */
import type { CfHeaders } from '../../shared/lambda-edge/index.js';
import { getHeaderJoined } from '../../shared/lambda-edge/index.js';

export interface ServerTimingInput {
  /** The PoP code, e.g. `PHX50-C2`. */
  pop: string;
  requestId: string;
  cacheStatus: 'hit' | 'miss' | 'refresh';
  upstreamFirstByteMs?: number;
  upstreamConnectMs?: number;
  upstreamDnsMs?: number;
  /** From receiving the request to sending the first response byte. */
  downstreamFirstByteMs?: number;
}

/** True when the request carries `Pragma: server-timing` (which forces the header, DG). */
export function pragmaAsksForServerTiming(requestHeaders: CfHeaders): boolean {
  const p = getHeaderJoined(requestHeaders, 'pragma');
  return p !== undefined && p.split(',').some((d) => d.trim().toLowerCase() === 'server-timing');
}

/** Sampling rate 0..100 (up to 4 decimals): `random()` in [0,1) decides. */
export function sampled(samplingRate: number, random: () => number): boolean {
  if (samplingRate >= 100) return true;
  if (samplingRate <= 0) return false;
  return random() * 100 < samplingRate;
}

const dur = (name: string, ms: number | undefined): string[] =>
  ms === undefined ? [] : [`${name};dur=${Math.max(0, Math.round(ms))}`];
/** `desc` is a quoted-string (RFC 9110 5.6.4): escape `"` and `\`. */
const desc = (name: string, v: string): string => `${name};desc="${v.replace(/["\\]/g, '\\$&')}"`;

/** CloudFront's metrics, in the order its documented examples show. */
export function serverTimingMetrics(t: ServerTimingInput): string[] {
  const out: string[] = [];
  if (t.cacheStatus === 'hit') {
    out.push('cdn-cache-hit', desc('cdn-pop', t.pop), desc('cdn-rid', t.requestId), desc('cdn-hit-layer', 'EDGE'));
  } else {
    out.push(desc('cdn-upstream-layer', 'EDGE'));
    out.push(...dur('cdn-upstream-dns', t.upstreamDnsMs), ...dur('cdn-upstream-connect', t.upstreamConnectMs));
    out.push(...dur('cdn-upstream-fbl', t.upstreamFirstByteMs));
    out.push(
      t.cacheStatus === 'miss' ? 'cdn-cache-miss' : 'cdn-cache-refresh',
      desc('cdn-pop', t.pop),
      desc('cdn-rid', t.requestId),
    );
  }
  out.push(...dur('cdn-downstream-fbl', t.downstreamFirstByteMs));
  return out;
}

/**
 * Write the Server-Timing header: on a miss the origin's value is kept and CloudFront's metrics
 * are appended (one header line); on a hit or refresh the response comes from the cache, so only
 * CloudFront's metrics are sent.
 */
export function writeServerTiming(response: CfHeaders, t: ServerTimingInput): void {
  const metrics = serverTimingMetrics(t).join(',');
  const fromOrigin = t.cacheStatus === 'miss' ? getHeaderJoined(response, 'server-timing') : undefined;
  const key = response['server-timing']?.[0]?.key ?? 'Server-Timing';
  const value = fromOrigin && fromOrigin.trim() !== '' ? `${fromOrigin},${metrics}` : metrics;
  response['server-timing'] = [{ key, value }];
}

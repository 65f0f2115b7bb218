/**
 * @module edge/tier/regional-client
 * A PoP's way to its origins through its regional edge cache: an OriginClient the fetch step
 * uses on a miss for a request the PoP may store (a GET with no body, to a custom origin without
 * origin access control: anything else goes straight to the origin, as CloudFront sends dynamic
 * requests past its regional caches). The request goes to the regional unchanged, plus the origin
 * to fetch from and the shared secret (./protocol.ts). When the regional cannot be reached, or
 * refuses the secret, the PoP fetches from the origin itself and leaves the regional alone for
 * `retryAfterMs`; an origin that failed at the regional fails here too, with its own code.
 * The regional's answer streams as the origin's would (`streamResponse`), so an object of any
 * size passes through both tiers without either holding it (issue 12).
 */
import { timingSafeEqual } from 'node:crypto';
import { ERROR_CODES, VergeError, type ErrorCode } from '../../shared/errors.js';
import { discardBody } from '../body/index.js';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import type { OriginPlan } from '../config/plan.js';
import type { OriginClient, OriginRequest, OriginResponse } from '../origin/types.js';
import { TIER_AUTH, TIER_ERROR, TIER_STATUS, TIER_TARGET, encodeTarget } from './protocol.js';

export interface RegionalClientOptions {
  /** The regional's viewer listener, `http://host:port`. */
  url: string;
  secret: string;
  origins: OriginClient;
  clock: Clock;
  logger: Logger;
  /** How long the PoP goes straight to origins after the regional failed (default 5 s). */
  retryAfterMs?: number;
}

/** Errors that mean the regional itself is not there (not that the origin behind it failed). */
const UNREACHABLE = new Set<string>(['ORIGIN_CONNECT_ERROR', 'ORIGIN_DNS_ERROR', 'ORIGIN_RESET', 'ORIGIN_TIMEOUT']);

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function regionalClient(o: RegionalClientOptions): OriginClient & { viaRegional: number; direct: number } {
  const u = new URL(o.url);
  const regional: OriginPlan = {
    id: 'regional',
    kind: 'custom',
    domainName: u.hostname.replace(/^\[|\]$/g, ''),
    port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)),
    protocol: u.protocol === 'https:' ? 'https' : 'http',
    originPath: '',
    customHeaders: [],
    connectionAttempts: 1,
    connectionTimeoutMs: 2000,
    readTimeoutMs: 60_000,
    keepaliveTimeoutMs: 5000,
  };
  const retryAfter = o.retryAfterMs ?? 5000;
  let downUntil = 0;
  const down = (why: string) => {
    if (o.clock.monotonic() >= downUntil)
      o.logger.log('warn', 'regional edge cache unavailable: fetching from origins directly', { regional: o.url, why });
    downUntil = o.clock.monotonic() + retryAfter;
  };
  const client = {
    viaRegional: 0,
    direct: 0,
    async fetch(target: OriginPlan, req: OriginRequest): Promise<OriginResponse> {
      const tiered =
        req.method === 'GET' && req.body === undefined && target.kind === 'custom' && !target.accessControl;
      if (!tiered || o.clock.monotonic() < downUntil) {
        client.direct++;
        return o.origins.fetch(target, req);
      }
      const headers = { ...req.headers };
      headers[TIER_TARGET] = [{ key: 'X-Verge-Tier-Target', value: encodeTarget(target) }];
      headers[TIER_AUTH] = [{ key: 'X-Verge-Tier-Auth', value: o.secret }];
      // The regional waits for the origin's own timeouts; give it that long and a little more.
      const readTimeoutMs = target.connectionAttempts * target.connectionTimeoutMs + target.readTimeoutMs + 1000;
      let res: OriginResponse;
      try {
        res = await o.origins.fetch({ ...regional, readTimeoutMs }, { ...req, headers });
      } catch (e) {
        const code = (e as VergeError).code;
        if (!UNREACHABLE.has(code)) throw e;
        down(`${code}: ${(e as Error).message}`);
        client.direct++;
        return o.origins.fetch(target, req);
      }
      // The regional's own failure is a 502 naming a registered ORIGIN_* code (its server drops
      // tier headers an origin sends; this holds against an older regional too).
      const failed = res.status === 502 ? res.headers[TIER_ERROR]?.[0]?.value : undefined;
      if (failed && /^ORIGIN_[A-Z_]+$/.test(failed) && failed in ERROR_CODES) {
        discardBody(res.body);
        throw new VergeError(failed as ErrorCode, `origin ${target.id} failed at the regional edge cache ${o.url}`);
      }
      if (res.status === 403 && res.headers[TIER_STATUS]?.[0]?.value === 'refused') {
        discardBody(res.body);
        down('it refused this PoP (check VERGE_TIER_SECRET)');
        client.direct++;
        return o.origins.fetch(target, req);
      }
      delete res.headers[TIER_STATUS];
      client.viaRegional++;
      return res;
    },
    close: () => Promise.resolve(),
  };
  return client;
}

/**
 * @module edge/functions/origin-egress
 * An origin-request function may point its request at another origin (spec 1.8: `origin.custom`),
 * and a CloudFront Function may change the origin's domain name; the edge then connects there
 * on the function's behalf. Without a check that was a way around the function's egress policy
 * (docs/security.md): a function refused `fetch('http://169.254.169.254/')` could name that
 * address as its origin and have the PoP fetch it and answer the viewer with it. So an origin a
 * function chose is judged as the function's own connection would be: public addresses, or its
 * `egress.allow`, never this PoP's ports. The distribution's own configured origins are the
 * operator's choice and stay allowed whatever their address.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { EgressConfig } from '../../shared/config/egress.js';
import type { ErrorCode } from '../../shared/errors.js';
import { decide, egressPolicy } from '../../runtime/host/egress/policy.js';

export interface OriginRefusal {
  code: ErrorCode;
  reason: string;
}

/**
 * Why the edge may not connect to `host`:`port` for a function with `egress`, or null when it
 * may. Names resolve here (every address must be allowed); one that does not resolve is refused
 * as the origin client would fail it.
 */
export async function originEgressRefusal(
  egress: EgressConfig | undefined,
  host: string,
  port: number,
): Promise<OriginRefusal | null> {
  const name = host.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (isIP(name)) addresses = [name];
  else {
    try {
      addresses = (await lookup(name, { all: true })).map((a) => a.address);
    } catch (e) {
      return { code: 'ORIGIN_DNS_ERROR', reason: `${name} does not resolve (${(e as Error).message})` };
    }
  }
  const policy = egressPolicy(egress);
  for (const address of addresses) {
    const v = decide(policy, name, address, port);
    if (!v.ok) return { code: 'ORIGIN_CONNECT_ERROR', reason: `${address}:${port} is ${v.reason}` };
  }
  return null;
}

/**
 * @module runtime/host/egress/connect
 * Where the egress policy is enforced: the connector of the connection pools that carry every
 * request a function makes (host-http.ts for JavaScript, python/host-fetch.ts for Python). It
 * resolves the host itself, decides on each address (policy.ts) and connects the socket to the
 * address it checked, so nothing can change between the check and the connect (no DNS
 * rebinding window); TLS still verifies the certificate against the URL's host name. Every hop
 * of a redirect is a new request, so it is checked the same way. One pool per distinct
 * allow-list; the default policy's pool is shared by every function without one.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { decide, type EgressPolicy } from './policy.js';

export const EGRESS_DENIED = 'ERR_EGRESS_DENIED';

/** The error a denied connection fails with (a network error inside the function). */
export class EgressDenied extends Error {
  readonly code = EGRESS_DENIED;
  constructor(
    readonly target: string,
    readonly reason: string,
  ) {
    super(
      `connection to ${target} denied by the egress policy: ${reason} (a function reaches it only if egress.allow lists it)`,
    );
  }
}

/** The first address of `hostname` the policy allows, or the denial of the first one it refuses. */
async function pick(policy: EgressPolicy, hostname: string, port: number): Promise<string> {
  const addresses = isIP(hostname)
    ? [hostname]
    : (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);
  let denied: EgressDenied | undefined;
  for (const address of addresses) {
    const v = decide(policy, hostname, address, port);
    if (v.ok) return address;
    denied ??= new EgressDenied(`${hostname}${hostname === address ? '' : ` (${address})`}:${port}`, v.reason);
  }
  throw denied ?? new EgressDenied(`${hostname}:${port}`, 'the name has no address');
}

type Connector = ReturnType<typeof buildConnector>;

function checkedConnector(policy: EgressPolicy): Connector {
  const base = buildConnector({ timeout: 10_000 });
  return (opts, callback) => {
    const port = Number(opts.port) || (opts.protocol === 'https:' ? 443 : 80);
    pick(policy, opts.hostname, port).then(
      // `host` stays the URL's: undici derives the TLS server name (SNI, certificate check) from it.
      (address) => base({ ...opts, hostname: address, port: String(port) }, callback),
      (e: Error) => callback(e, null),
    );
  };
}

const agents = new Map<string, Agent>();

/** The connection pool of `policy` (made on first use, shared by every function with the same allow-list). */
export function egressAgent(policy: EgressPolicy): Agent {
  let a = agents.get(policy.key);
  if (!a) {
    a = new Agent({ keepAliveTimeout: 4000, connections: 64, connect: checkedConnector(policy) });
    agents.set(policy.key, a);
  }
  return a;
}

/** Close every pool (tests and shutdown). */
export async function closeEgressAgents(): Promise<void> {
  const all = [...agents.values()];
  agents.clear();
  await Promise.all(all.map((a) => a.close()));
}

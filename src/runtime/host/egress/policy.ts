/**
 * @module runtime/host/egress/policy
 * The egress policy every outbound connection a function asks for is decided by (JavaScript's
 * `fetch`/`http`/`https` and Python's `urllib`, both performed by the host: ./connect.ts).
 * Decided on the address actually connected to, after DNS: public unicast addresses on any port
 * by default; never the PoP's own listening ports on an address of this host; everything else
 * (loopback, private, CGNAT, link-local, multicast, unspecified, reserved, documentation ranges,
 * IPv4-mapped/compatible IPv6, NAT64, 6to4, Teredo, addresses of this host) only when the
 * function's `egress.allow` lists the host name or a CIDR block holding the address.
 */
import { networkInterfaces } from 'node:os';
import {
  parseEgressEntry,
  parseIP,
  samePrefix,
  type EgressConfig,
  type EgressRule,
} from '../../../shared/config/egress.js';
import { VergeError } from '../../../shared/errors.js';

export interface EgressPolicy {
  readonly rules: readonly EgressRule[];
  /** The normalized allow-list: policies with the same key share one connection pool. */
  readonly key: string;
}

export type Verdict = { ok: true } | { ok: false; reason: string };

const ALLOWED: Verdict = Object.freeze({ ok: true });

/** Blocks that are never a public destination, with the reason a denial names (RFC 6890 and successors). */
const SPECIAL: Array<[string, string]> = [
  ['0.0.0.0/8', 'an unspecified ("this network") address'],
  ['10.0.0.0/8', 'a private address (RFC 1918)'],
  ['100.64.0.0/10', 'a shared CGNAT address (RFC 6598)'],
  ['127.0.0.0/8', 'a loopback address'],
  ['169.254.0.0/16', 'a link-local address'],
  ['172.16.0.0/12', 'a private address (RFC 1918)'],
  ['192.0.0.0/24', 'an IETF protocol assignment (RFC 6890)'],
  ['192.0.2.0/24', 'a documentation address (RFC 5737)'],
  ['192.31.196.0/24', 'an AS112 address (RFC 7535)'],
  ['192.52.193.0/24', 'an AMT address (RFC 7450)'],
  ['192.88.99.0/24', 'a 6to4 relay anycast address (RFC 7526)'],
  ['192.168.0.0/16', 'a private address (RFC 1918)'],
  ['192.175.48.0/24', 'an AS112 address (RFC 7534)'],
  ['198.18.0.0/15', 'a benchmarking address (RFC 2544)'],
  ['198.51.100.0/24', 'a documentation address (RFC 5737)'],
  ['203.0.113.0/24', 'a documentation address (RFC 5737)'],
  ['224.0.0.0/4', 'a multicast address'],
  ['240.0.0.0/4', 'a reserved address'],
  ['::/128', 'an unspecified address'],
  ['::1/128', 'a loopback address'],
  ['::ffff:0:0/96', 'an IPv4-mapped IPv6 address'],
  ['::/96', 'an IPv4-compatible IPv6 address'],
  ['64:ff9b::/96', 'a NAT64 address (RFC 6052)'],
  ['64:ff9b:1::/48', 'a local-use NAT64 address (RFC 8215)'],
  ['100::/64', 'a discard-only address (RFC 6666)'],
  ['2001::/32', 'a Teredo address (RFC 4380)'],
  ['2001::/23', 'an IETF protocol assignment (RFC 2928)'],
  ['2001:db8::/32', 'a documentation address (RFC 3849)'],
  ['2002::/16', 'a 6to4 address (RFC 3056)'],
  ['3fff::/20', 'a documentation address (RFC 9637)'],
  ['5f00::/16', 'an SRv6 SID address (RFC 9602)'],
  ['fc00::/7', 'a unique-local (private) address'],
  ['fe80::/10', 'a link-local address'],
  ['fec0::/10', 'a site-local address'],
  ['ff00::/8', 'a multicast address'],
];

const SPECIAL_PARSED = SPECIAL.map(([cidr, reason]) => {
  const [addr, prefix] = cidr.split('/');
  return { bytes: parseIP(addr!)!, prefix: Number(prefix), reason };
});
const GLOBAL_UNICAST_V6 = parseIP('2000::')!;

/** Why `address` is not a public unicast destination, or null when it is one. */
export function specialReason(address: Uint8Array): string | null {
  for (const s of SPECIAL_PARSED) if (samePrefix(s.bytes, address, s.prefix)) return s.reason;
  if (address.length === 16 && !samePrefix(GLOBAL_UNICAST_V6, address, 3)) return 'a reserved IPv6 address';
  if (address.length === 4 && address[0] === 255) return 'a broadcast address';
  return null;
}

// ---- the PoP itself: its addresses and its listening ports --------------------------------

const ownPorts = new Map<number, number>();

/**
 * The edge registers every port it listens on (viewer, TLS, admin) while it listens: no function
 * may connect to them on an address of this host, whatever its allow-list says. Returns the undo.
 */
export function claimOwnPorts(ports: readonly number[]): () => void {
  for (const p of ports) ownPorts.set(p, (ownPorts.get(p) ?? 0) + 1);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    for (const p of ports) {
      const n = (ownPorts.get(p) ?? 1) - 1;
      if (n <= 0) ownPorts.delete(p);
      else ownPorts.set(p, n);
    }
  };
}

let localCache: { at: number; list: Uint8Array[] } | undefined;
const LOCAL_TTL_MS = 5_000;

/** Addresses assigned to this host's interfaces (refreshed every few seconds: DHCP, new links). */
function localAddresses(): Uint8Array[] {
  const now = Date.now();
  if (localCache && now - localCache.at < LOCAL_TTL_MS) return localCache.list;
  const list: Uint8Array[] = [];
  for (const infos of Object.values(networkInterfaces()))
    for (const i of infos ?? []) {
      const b = parseIP(i.address.replace(/%.*$/, ''));
      if (b) list.push(b);
    }
  localCache = { at: now, list };
  return list;
}

function isLocal(address: Uint8Array): boolean {
  if (address.length === 4 && (address[0] === 127 || address[0] === 0)) return true;
  if (
    address.length === 16 &&
    (samePrefix(parseIP('::')!, address, 127) || samePrefix(parseIP('::ffff:0:0')!, address, 96))
  )
    return true;
  return localAddresses().some((l) => samePrefix(l, address, l.length * 8));
}

// ---- policies ------------------------------------------------------------------------------

const DEFAULT: EgressPolicy = Object.freeze({ rules: Object.freeze([]), key: '' });

/** The policy of a function's `egress` setting; an invalid entry fails the load, naming it. */
export function egressPolicy(cfg: EgressConfig | undefined): EgressPolicy {
  if (!cfg || cfg.allow.length === 0) return DEFAULT;
  const rules: EgressRule[] = [];
  cfg.allow.forEach((entry, i) => {
    const r = parseEgressEntry(entry);
    if (typeof r === 'string')
      throw new VergeError('FUNCTION_LOAD_ERROR', `egress.allow[${i}] ${JSON.stringify(entry)}: ${r}`);
    rules.push(r);
  });
  const key = [...cfg.allow]
    .map((e) => e.trim().toLowerCase())
    .sort()
    .join(' ');
  return Object.freeze({ rules: Object.freeze(rules), key });
}

function portMatches(r: EgressRule, port: number): boolean {
  return r.ports === null || (port >= r.ports.from && port <= r.ports.to);
}

function hostMatches(r: Extract<EgressRule, { kind: 'host' }>, hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  return r.wildcard ? h.endsWith(`.${r.host}`) : h === r.host;
}

/**
 * May a function with `policy` connect to `address`:`port`, reached through the URL host
 * `hostname`? `address` is what is actually connected to (DNS answer or IP literal).
 */
export function decide(policy: EgressPolicy, hostname: string, address: string, port: number): Verdict {
  const bytes = parseIP(address);
  if (!bytes) return { ok: false, reason: `"${address}" is not an IP address` };
  const local = isLocal(bytes);
  if (local && ownPorts.has(port)) return { ok: false, reason: `port ${port} of this PoP` };
  const hostIsName = parseIP(hostname) === null;
  for (const r of policy.rules) {
    if (!portMatches(r, port)) continue;
    if (r.kind === 'host' ? hostIsName && hostMatches(r, hostname) : samePrefix(r.bytes, bytes, r.prefix))
      return ALLOWED;
  }
  const special = specialReason(bytes);
  if (special) return { ok: false, reason: special };
  if (local) return { ok: false, reason: 'an address of this PoP' };
  return ALLOWED;
}

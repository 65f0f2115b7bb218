/**
 * @module edge/geo/ip
 * IP address parsing and CIDR prefix tables for the geo leaf: override files match viewer
 * addresses by most-specific prefix, and private / loopback ranges get no geo headers (CloudFront
 * adds none for addresses it cannot place, spec 3.3). IPv4-mapped IPv6 (`::ffff:1.2.3.4`,
 * RFC 4291 2.5.5.2) is folded to IPv4 so one override or database entry covers both spellings.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** A parsed address: IPv4 as a 32-bit number in a bigint, IPv6 as 128 bits. */
export interface ParsedIp {
  family: 4 | 6;
  value: bigint;
}

const V4_BITS = 32;
const V6_BITS = 128;

function parseV4(s: string): bigint {
  let v = 0n;
  for (const part of s.split('.')) v = (v << 8n) | BigInt(Number(part));
  return v;
}

function parseV6(s: string): bigint {
  let tail: bigint | undefined;
  let text = s;
  // An embedded dotted quad fills the last 32 bits (RFC 4291 2.2 form 3).
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    tail = parseV4(text.slice(lastColon + 1));
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const [head = '', rest] = text.split('::') as [string, string | undefined];
  const headParts = head === '' ? [] : head.split(':');
  const restParts = rest === undefined || rest === '' ? [] : rest.split(':');
  const fill = rest === undefined ? 0 : 8 - headParts.length - restParts.length;
  const groups = [...headParts, ...new Array<string>(fill).fill('0'), ...restParts];
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(parseInt(g, 16));
  if (tail !== undefined) v = (v & ~0xffffffffn) | tail;
  return v;
}

/**
 * Parse an address (IPv6 zone ids and brackets are dropped). IPv4-mapped IPv6 comes back as
 * IPv4. Returns undefined for anything that is not an IP address.
 */
export function parseIp(input: string): ParsedIp | undefined {
  let s = input.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (isIPv4(s)) return { family: 4, value: parseV4(s) };
  if (!isIPv6(s)) return undefined;
  const v = parseV6(s);
  if (v >> 32n === 0xffffn) return { family: 4, value: v & 0xffffffffn };
  return { family: 6, value: v };
}

/** Canonical dotted form of an IPv4 value. */
export function formatV4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
}

/** The textual address a viewer should be reported as (`::ffff:1.2.3.4` becomes `1.2.3.4`). */
export function displayIp(input: string): string {
  const p = parseIp(input);
  return p && p.family === 4 && !isIPv4(input) ? formatV4(p.value) : input;
}

export interface Cidr {
  family: 4 | 6;
  network: bigint;
  prefix: number;
}

/** Parse `a.b.c.d/n` or `x::y/n` (a bare address means a host route); undefined when invalid. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const ip = parseIp(addr);
  if (!ip || addr.includes('%')) return undefined;
  const v6Written = addr.includes(':');
  const bitsWritten = v6Written ? V6_BITS : V4_BITS;
  let prefix = bitsWritten;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return undefined;
    prefix = Number(p);
    if (prefix > bitsWritten) return undefined;
  }
  // `::ffff:10.0.0.0/104` names IPv4 space: fold it to `10.0.0.0/8`.
  if (ip.family === 4 && v6Written) {
    if (prefix < 96) return undefined;
    prefix -= 96;
  }
  const bits = ip.family === 4 ? V4_BITS : V6_BITS;
  return { family: ip.family, network: ip.value & mask(bits, prefix), prefix };
}

function mask(bits: number, prefix: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return prefix === 0 ? 0n : all ^ ((1n << BigInt(bits - prefix)) - 1n);
}

/**
 * A longest-prefix-match table. Lookups probe each distinct prefix length once, longest first,
 * so the cost is bounded by the number of lengths in use (at most 33 + 129), not the entry count.
 */
export class PrefixTable<T> {
  readonly #byFamily = new Map<4 | 6, Map<number, Map<bigint, T>>>();
  #lengths = new Map<4 | 6, number[]>();

  add(cidr: Cidr, value: T): void {
    let lens = this.#byFamily.get(cidr.family);
    if (!lens) this.#byFamily.set(cidr.family, (lens = new Map()));
    let nets = lens.get(cidr.prefix);
    if (!nets) lens.set(cidr.prefix, (nets = new Map()));
    nets.set(cidr.network, value);
    this.#lengths.set(
      cidr.family,
      [...lens.keys()].sort((a, b) => b - a),
    );
  }

  get size(): number {
    let n = 0;
    for (const lens of this.#byFamily.values()) for (const nets of lens.values()) n += nets.size;
    return n;
  }

  /** The value of the most specific prefix containing `ip`. */
  match(ip: ParsedIp): T | undefined {
    const lens = this.#byFamily.get(ip.family);
    if (!lens) return undefined;
    const bits = ip.family === 4 ? V4_BITS : V6_BITS;
    for (const len of this.#lengths.get(ip.family)!) {
      const hit = lens.get(len)!.get(ip.value & mask(bits, len));
      if (hit !== undefined) return hit;
    }
    return undefined;
  }
}

/** Special-purpose ranges a geo database cannot place (RFC 6890 registries, RFC 4193, RFC 6598). */
const NON_PUBLIC = new PrefixTable<true>();
for (const c of [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '224.0.0.0/4',
  '240.0.0.0/4',
  '::/128',
  '::1/128',
  'fc00::/7',
  'fe80::/10',
  'ff00::/8',
])
  NON_PUBLIC.add(parseCidr(c)!, true);

/** True for loopback, private, link-local, CGNAT, multicast and reserved addresses. */
export function isNonPublic(ip: ParsedIp): boolean {
  return NON_PUBLIC.match(ip) === true;
}

/**
 * @module shared/config/egress
 * A function's egress allow-list (`egress.allow`), written once for every place that takes it
 * (the control plane's API, static configs, `verge invoke`) and for the runtime that enforces it
 * (src/runtime/host/egress). One entry is a host name, an address or a CIDR block, each with an
 * optional port or port range:
 *
 *   origin.internal      origin.internal:8443      *.corp.example:443
 *   10.0.0.0/8           10.1.2.3:8080             192.168.0.0/16:8000-8999
 *   fd00::/8             [fd00::1]:443             [fd00::]/8:443
 *
 * Also the address parsing the runtime's classification builds on: pure, no `node:net`, so the
 * console can use it too. Addresses are parsed strictly (dotted-quad IPv4 only): the runtime
 * classifies what DNS or the URL parser produced, never a viewer's spelling.
 */

/** One allow-list entry, parsed. */
export type EgressRule =
  | { kind: 'host'; host: string; wildcard: boolean; ports: PortRange | null }
  | { kind: 'cidr'; bytes: Uint8Array; prefix: number; ports: PortRange | null };

export interface PortRange {
  from: number;
  to: number;
}

export interface EgressConfig {
  allow: string[];
}

/** The most entries one function may list. */
export const MAX_EGRESS_ENTRIES = 64;

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/** IPv4 dotted quad (exactly four decimal parts, no leading zeros) to 4 bytes; null otherwise. */
export function parseIPv4(s: string): Uint8Array | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

/** IPv6 text (with `::` and an embedded dotted quad, no zone, no brackets) to 16 bytes; null otherwise. */
export function parseIPv6(s: string): Uint8Array | null {
  if (s.length === 0 || s.length > 45 || s.includes('%')) return null;
  let text = s;
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.slice(lastColon + 1).includes('.')) {
    // An embedded dotted quad (::ffff:127.0.0.1) is two more 16-bit groups.
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (!v4) return null;
    const hex = (a: number, b: number) => ((a << 8) | b).toString(16);
    text = `${text.slice(0, lastColon + 1)}${hex(v4[0]!, v4[1]!)}:${hex(v4[2]!, v4[3]!)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const group = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = group(halves[0]!);
  const rest = halves.length === 2 ? group(halves[1]!) : [];
  if (!head || !rest) return null;
  const total = head.length + rest.length;
  let groups: number[];
  if (halves.length === 2) {
    if (total > 7) return null;
    groups = [...head, ...new Array<number>(8 - total).fill(0), ...rest];
  } else {
    if (total !== 8) return null;
    groups = head;
  }
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** 4 or 16 bytes for an IP address literal (IPv6 may be bracketed); null for anything else. */
export function parseIP(s: string): Uint8Array | null {
  if (s.startsWith('[') && s.endsWith(']')) return parseIPv6(s.slice(1, -1));
  return s.includes(':') ? parseIPv6(s) : parseIPv4(s);
}

/** Whether the first `prefix` bits of `a` and `b` (same length) are equal. */
export function samePrefix(a: Uint8Array, b: Uint8Array, prefix: number): boolean {
  if (a.length !== b.length) return false;
  const whole = prefix >> 3;
  for (let i = 0; i < whole; i++) if (a[i] !== b[i]) return false;
  const bits = prefix & 7;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return (a[whole]! & mask) === (b[whole]! & mask);
}

function parsePorts(s: string): PortRange | string {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(s);
  if (!m) return `port "${s}" is not a number or a range such as 8000-8999`;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from < 1 || to > 65535 || from > to) return `port "${s}" is outside 1..65535 or the range is reversed`;
  return { from, to };
}

function parseCidr(addr: string, prefixText: string | undefined, ports: PortRange | null): EgressRule | string {
  const bytes = parseIP(addr);
  if (!bytes) return `"${addr}" is not an IP address`;
  const max = bytes.length * 8;
  let prefix = max;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max)
      return `prefix length "/${prefixText}" is outside 0..${max}`;
    prefix = Number(prefixText);
  }
  // The block's own address: 10.1.2.3/8 is written 10.0.0.0/8, so the intent is not ambiguous.
  const base = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    base[i] = bytes[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  if (!samePrefix(base, bytes, max))
    return `"${addr}/${prefix}" has bits set past the prefix (write the block's first address)`;
  return { kind: 'cidr', bytes: base, prefix, ports };
}

/** Parse one allow-list entry; a string is the problem with it. */
export function parseEgressEntry(entry: string): EgressRule | string {
  const s = entry.trim().toLowerCase();
  if (s.length === 0 || s.length > 300) return 'an entry is a host, an address or a CIDR block, with an optional :port';
  let body = s;
  let portText: string | undefined;
  if (s.startsWith('[')) {
    // [v6], [v6]:port, [v6]/n, [v6]/n:port
    const close = s.indexOf(']');
    if (close < 0) return `"${entry}" opens a bracket it does not close`;
    const after = s.slice(close + 1);
    const m = /^(?:\/(\d{1,3}))?(?::(.+))?$/.exec(after);
    if (!m) return `"${entry}": after ] only /prefix and :port may follow`;
    const ports = m[2] === undefined ? null : parsePorts(m[2]);
    if (typeof ports === 'string') return ports;
    return parseCidr(s.slice(1, close), m[1], ports);
  }
  const colons = s.split(':').length - 1;
  if (colons > 1) {
    // A bare IPv6 address or block: no port (write [addr]:port for one).
    const [addr, prefix, extra] = s.split('/');
    if (extra !== undefined) return `"${entry}" has more than one /`;
    return parseCidr(addr!, prefix, null);
  }
  if (colons === 1) {
    const i = s.lastIndexOf(':');
    body = s.slice(0, i);
    portText = s.slice(i + 1);
  }
  const ports = portText === undefined ? null : parsePorts(portText);
  if (typeof ports === 'string') return ports;
  const [addr, prefix, extra] = body.split('/');
  if (extra !== undefined) return `"${entry}" has more than one /`;
  if (prefix !== undefined || /^[\d.]+$/.test(addr!)) return parseCidr(addr!, prefix, ports);
  const wildcard = addr!.startsWith('*.');
  const host = wildcard ? addr!.slice(2) : addr!;
  const labels = host.replace(/\.$/, '').split('.');
  if (labels.some((l) => !LABEL.test(l)))
    return `"${entry}" is not a host name (letters, digits, - and _ in dot-separated labels; *.name for every subdomain)`;
  return { kind: 'host', host: labels.join('.'), wildcard, ports };
}

/** Every problem of an `egress` value, with its JSON path under `path`. */
export function egressProblems(v: unknown, path: string): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    return [{ path, message: 'must be an object: { "allow": ["host", "10.0.0.0/8", "origin.internal:8443", ...] }' }];
  }
  for (const k of Object.keys(v))
    if (k !== 'allow') problems.push({ path: `${path}.${k}`, message: 'unknown field (only "allow")' });
  const allow = (v as { allow?: unknown }).allow;
  if (!Array.isArray(allow)) {
    problems.push({ path: `${path}.allow`, message: 'must be an array of hosts, addresses or CIDR blocks' });
    return problems;
  }
  if (allow.length > MAX_EGRESS_ENTRIES)
    problems.push({ path: `${path}.allow`, message: `at most ${MAX_EGRESS_ENTRIES} entries` });
  allow.forEach((e, i) => {
    if (typeof e !== 'string') return problems.push({ path: `${path}.allow[${i}]`, message: 'must be a string' });
    const r = parseEgressEntry(e);
    if (typeof r === 'string') problems.push({ path: `${path}.allow[${i}]`, message: r });
  });
  return problems;
}

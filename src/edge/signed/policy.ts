/**
 * @module edge/signed/policy
 * CloudFront's policy statements for signed URLs and cookies [DG23
 * private-content-creating-signed-url-canned-policy.md, ...-custom-policy.md]: the canned
 * statement CloudFront rebuilds from the URL and `Expires`, the custom statement parsed from
 * `Policy`, CloudFront's URL-safe base64 (`-` `_` `~` for `+` `=` `/`), the resource wildcards
 * (`*`, `?`) matched section by section, and the date and IPv4 CIDR conditions. Pure: no keys, no
 * I/O; verify.ts puts it together.
 */

/** The latest `Expires` / `AWS:EpochTime` CloudFront accepts: a 32-bit signed integer (2038-01-19). */
export const MAX_EPOCH = 2_147_483_647;

/** CloudFront's base64: `-` for `+`, `_` for `=`, `~` for `/`. Plain base64 is accepted too. */
export function decodeCloudFrontBase64(s: string): Buffer {
  return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64');
}

export function encodeCloudFrontBase64(b: Buffer | string): string {
  return Buffer.from(b).toString('base64').replace(/\+/g, '-').replace(/=/g, '_').replace(/\//g, '~');
}

/** The statement CloudFront builds for a canned policy (no white space, this field order). */
export function cannedPolicy(resource: string, expires: number): string {
  return `{"Statement":[{"Resource":${JSON.stringify(resource)},"Condition":{"DateLessThan":{"AWS:EpochTime":${expires}}}}]}`;
}

export interface PolicyStatement {
  /** Undefined: the statement applies to any URL. */
  resource?: string;
  dateLessThan: number;
  dateGreaterThan?: number;
  /** IPv4 network and prefix length. */
  ipAddress?: { network: number; bits: number; text: string };
}

/** Parse a custom policy; a string result says why it is malformed. */
export function parsePolicy(json: string): PolicyStatement | string {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    return 'the policy is not JSON';
  }
  if (!isObj(doc)) return 'the policy is not a JSON object';
  const st = doc.Statement;
  const list = Array.isArray(st) ? st : [st];
  if (list.length !== 1 || !isObj(list[0])) return 'the policy must hold exactly one Statement';
  const s = list[0];
  if (s.Resource !== undefined && typeof s.Resource !== 'string') return 'Resource must be a string';
  if (!isObj(s.Condition)) return 'the statement has no Condition';
  const c = s.Condition;
  const less = epoch(c.DateLessThan);
  if (less === undefined) return 'Condition.DateLessThan."AWS:EpochTime" is required and must be a number';
  const out: PolicyStatement = { dateLessThan: less };
  if (typeof s.Resource === 'string') out.resource = s.Resource;
  if (c.DateGreaterThan !== undefined) {
    const greater = epoch(c.DateGreaterThan);
    if (greater === undefined) return 'Condition.DateGreaterThan."AWS:EpochTime" must be a number';
    out.dateGreaterThan = greater;
  }
  if (c.IpAddress !== undefined) {
    const ip = isObj(c.IpAddress) ? c.IpAddress['AWS:SourceIp'] : undefined;
    const cidr = typeof ip === 'string' ? parseCidrV4(ip) : undefined;
    if (!cidr) return 'Condition.IpAddress."AWS:SourceIp" must be an IPv4 address or CIDR (IPv6 is not supported)';
    out.ipAddress = cidr;
  }
  return out;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function epoch(v: unknown): number | undefined {
  const t = isObj(v) ? v['AWS:EpochTime'] : undefined;
  return typeof t === 'number' && Number.isInteger(t) && t >= 0 && t <= MAX_EPOCH ? t : undefined;
}

export function parseIpV4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const o = m.slice(1).map(Number);
  if (o.some((x) => x > 255)) return undefined;
  return ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
}

/** `192.0.2.0/24` or a bare address (as `/32`). */
export function parseCidrV4(s: string): { network: number; bits: number; text: string } | undefined {
  const [addr, len, extra] = s.split('/');
  if (extra !== undefined || addr === undefined) return undefined;
  const ip = parseIpV4(addr);
  const bits = len === undefined ? 32 : /^\d{1,2}$/.test(len) ? Number(len) : NaN;
  if (ip === undefined || !(bits >= 0 && bits <= 32)) return undefined;
  return { network: ip, bits, text: s };
}

export function cidrContains(c: { network: number; bits: number }, ip: string): boolean {
  const v = parseIpV4(ip.startsWith('::ffff:') ? ip.slice(7) : ip);
  if (v === undefined) return false;
  if (c.bits === 0) return true;
  const mask = (0xffffffff << (32 - c.bits)) >>> 0;
  return (v & mask) === (c.network & mask);
}

/** The request URL as CloudFront matches it, split into its sections. */
export interface UrlParts {
  scheme: string;
  host: string;
  path: string;
  /** Without `?`; '' when there is none. */
  query: string;
}

/**
 * Does a policy `Resource` match the URL? Wildcards stay inside the section that holds them
 * (`[protocol]://[domain]/[path]?[query]`), with CloudFront's exceptions: `*` alone matches
 * anything, a trailing `*` in the path (or the domain) covers the query (and the path), and a
 * resource starting with `*` has an implied `*://`. The query section starts at `\?`; an
 * unescaped `?` in the path is a one-character wildcard, which also lets a resource written with
 * a plain `?` (as SDK signers write it) match that URL. Matching is a linear glob, not a regex,
 * so a hostile pattern cannot make it backtrack for long.
 */
export function resourceMatches(pattern: string, url: UrlParts): boolean {
  if (pattern === '*') return true;
  let p = pattern;
  if (!p.includes('://') && p.startsWith('*')) p = `*://${p}`;
  const sep = p.indexOf('://');
  if (sep < 0) return false;
  const proto = p.slice(0, sep);
  const rest = p.slice(sep + 3);
  const slash = rest.indexOf('/');
  const domain = slash < 0 ? rest : rest.slice(0, slash);
  let pathAndQuery = slash < 0 ? (domain.endsWith('*') ? '/*' : '/') : rest.slice(slash);
  if (!glob(proto, url.scheme, '') || !glob(domain.toLowerCase(), url.host.toLowerCase(), '')) return false;
  const esc = pathAndQuery.indexOf('\\?');
  if (esc >= 0) {
    const query = pathAndQuery.slice(esc + 2);
    pathAndQuery = pathAndQuery.slice(0, esc);
    return glob(pathAndQuery, url.path, '?') && glob(query, url.query, '');
  }
  if (pathAndQuery.endsWith('*')) return glob(pathAndQuery, url.path, '?');
  return glob(pathAndQuery, url.query ? `${url.path}?${url.query}` : url.path, '?');
}

/**
 * Glob match: `*` any run of characters except those in `stops`, `?` exactly one character.
 * Two pointers with one backtrack point: O(pattern × text) at worst.
 */
export function glob(pattern: string, text: string, stops: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    const pc = pattern[p];
    if (pc === '?' || (pc !== undefined && pc !== '*' && pc === text[t])) {
      p++;
      t++;
    } else if (pc === '*') {
      star = p++;
      mark = t;
    } else if (star >= 0 && !stops.includes(text[mark]!)) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * @module edge/policies/cors
 * The CORS section of a response headers policy (spec 7.9; DG "Understanding response headers
 * policies" → CORS headers; Fetch standard, CORS protocol). Headers are added only to CORS
 * requests (those with an `Origin` header) whose origin is allowed by the policy; preflight
 * requests (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) also get the
 * allow-methods / allow-headers / max-age headers.
 */
import type { CfHeaders } from '../../shared/lambda-edge/index.js';
import { getHeader } from '../../shared/lambda-edge/index.js';
import type { CorsPlan } from '../config/plan.js';
import { addVary, putHeader } from './put-header.js';

/** What `ALL` stands for in Access-Control-Allow-Methods (DG). */
export const ALL_CORS_METHODS = ['GET', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'] as const;

interface ParsedOrigin {
  scheme: string;
  host: string;
  port: string;
}

function parseOrigin(s: string): ParsedOrigin | undefined {
  try {
    const u = new URL(s);
    return { scheme: u.protocol.slice(0, -1), host: u.hostname, port: u.port };
  } catch {
    return undefined; // e.g. `Origin: null`
  }
}

/** `*.example.org` or `https://*.example.org[:port]` against a parsed origin. */
function wildcardMatches(entry: string, o: ParsedOrigin): boolean {
  const sep = entry.indexOf('://');
  const scheme = sep < 0 ? undefined : entry.slice(0, sep);
  const rest = sep < 0 ? entry : entry.slice(sep + 3);
  if (!rest.startsWith('*.')) return false;
  const [domain = '', port] = rest.slice(2).split(':');
  if (scheme !== undefined && scheme !== o.scheme) return false;
  if (port !== undefined && port !== o.port) return false;
  return o.host.endsWith('.' + domain);
}

/**
 * Does `origin` (scheme://host[:port]) match one allowed entry? `*` matches anything; an exact
 * entry matches itself; `*.example.org` (the wildcard only as the leftmost label, DG) matches any
 * subdomain at any depth, with the same scheme and port when the entry names them.
 */
export function originAllowed(origin: string, allowed: readonly string[]): boolean {
  const lower = origin.toLowerCase();
  let parsed: ParsedOrigin | undefined | null = null;
  for (const raw of allowed) {
    const a = raw.toLowerCase();
    if (a === '*' || a === lower) return true;
    if (!a.includes('*.')) continue;
    if (parsed === null) parsed = parseOrigin(lower);
    if (parsed && wildcardMatches(a, parsed)) return true;
  }
  return false;
}

export function isPreflight(method: string, requestHeaders: CfHeaders): boolean {
  return (
    method === 'OPTIONS' &&
    requestHeaders['origin'] !== undefined &&
    requestHeaders['access-control-request-method'] !== undefined
  );
}

/** Apply the CORS section to `response` for a request with these headers. */
export function applyCors(cors: CorsPlan, method: string, requestHeaders: CfHeaders, response: CfHeaders): void {
  const origin = getHeader(requestHeaders, 'origin');
  if (origin === undefined || !originAllowed(origin, cors.allowOrigins)) return;
  const o = cors.originOverride;
  const wildcard = cors.allowOrigins.includes('*');
  // Echo the origin unless every origin is allowed; an echoed origin varies the response.
  const allowOrigin = wildcard ? '*' : origin;
  if (putHeader(response, 'Access-Control-Allow-Origin', allowOrigin, o) && !wildcard) addVary(response, 'Origin');
  if (cors.allowCredentials) putHeader(response, 'Access-Control-Allow-Credentials', 'true', o);
  if (isPreflight(method, requestHeaders)) {
    const methods = cors.allowMethods.includes('ALL') ? ALL_CORS_METHODS : cors.allowMethods;
    if (methods.length) putHeader(response, 'Access-Control-Allow-Methods', methods.join(', '), o);
    if (cors.allowHeaders.length) putHeader(response, 'Access-Control-Allow-Headers', cors.allowHeaders.join(', '), o);
    if (cors.maxAgeSec !== undefined) putHeader(response, 'Access-Control-Max-Age', String(cors.maxAgeSec), o);
  } else if (cors.exposeHeaders.length) {
    putHeader(response, 'Access-Control-Expose-Headers', cors.exposeHeaders.join(', '), o);
  }
}

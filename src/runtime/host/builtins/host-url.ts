/**
 * @module runtime/host/builtins/host-url
 * Host side of the guest `url` module: Node's own WHATWG URL parser and legacy url.parse /
 * format / resolve, so results are identical to Node's. Inputs are strings and plain objects.
 */
import nodeUrl from 'node:url';

type HostFn = (...args: any[]) => unknown;

const PARTS = [
  'href',
  'origin',
  'protocol',
  'username',
  'password',
  'host',
  'hostname',
  'port',
  'pathname',
  'search',
  'hash',
] as const;
const SETTABLE = new Set([
  'protocol',
  'username',
  'password',
  'host',
  'hostname',
  'port',
  'pathname',
  'search',
  'hash',
]);
const LEGACY = [
  'protocol',
  'slashes',
  'auth',
  'host',
  'port',
  'hostname',
  'hash',
  'search',
  'query',
  'pathname',
  'path',
  'href',
] as const;

function parts(u: URL): Record<string, string> {
  const o: Record<string, string> = {};
  for (const k of PARTS) o[k] = u[k];
  return o;
}

function str(v: unknown, max = 1 << 20): string {
  const s = String(v);
  if (s.length > max) throw new RangeError(`URL input longer than ${max} characters`);
  return s;
}

export function urlHostFunctions(): Record<string, HostFn> {
  return {
    'url.parse': (input: unknown, base: unknown) => {
      try {
        return parts(base === null || base === undefined ? new URL(str(input)) : new URL(str(input), str(base)));
      } catch {
        return null;
      }
    },
    'url.set': (href: unknown, prop: unknown, value: unknown) => {
      const u = new URL(str(href));
      const p = String(prop);
      if (!SETTABLE.has(p)) throw new TypeError(`URL has no settable property ${p}`);
      (u as unknown as Record<string, string>)[p] = str(value);
      return parts(u);
    },
    'url.legacyParse': (input: unknown, parseQs: unknown, slashes: unknown) => {
      const u = nodeUrl.parse(str(input), Boolean(parseQs), Boolean(slashes));
      const o: Record<string, unknown> = {};
      for (const k of LEGACY) o[k] = k === 'query' && u.query && typeof u.query === 'object' ? { ...u.query } : u[k];
      return o;
    },
    'url.legacyFormat': (obj: unknown) => nodeUrl.format(obj as nodeUrl.UrlObject),
    'url.formatURL': (href: unknown, opts: unknown) =>
      nodeUrl.format(new URL(str(href)), (opts ?? {}) as nodeUrl.URLFormatOptions),
    'url.resolve': (from: unknown, to: unknown) => nodeUrl.resolve(str(from), str(to)),
    'url.domainToASCII': (d: unknown) => nodeUrl.domainToASCII(str(d)),
    'url.domainToUnicode': (d: unknown) => nodeUrl.domainToUnicode(str(d)),
    'url.fileURLToPath': (u: unknown) => nodeUrl.fileURLToPath(str(u)),
    // Paths are resolved against Lambda's /var/task, never the host's working directory.
    'url.pathToFileURL': (p: unknown) => {
      const s = str(p);
      return nodeUrl.pathToFileURL(s.startsWith('/') ? s : `/var/task/${s}`).href;
    },
  };
}

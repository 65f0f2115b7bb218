/**
 * @module runtime/guest/console
 * INSIDE the isolate. `console.*` formatted like Node's util.format (a compact inspect, no
 * colours) and sent to the host one line per call, so the lines of a function that later
 * times out or runs out of memory are not lost. The host tags them with the request id and
 * redacts secrets.
 */
import { P, op } from './host.js';

type Level = 'log' | 'info' | 'warn' | 'error' | 'debug';

function quote(s: string): string {
  return "'" + s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n') + "'";
}

function inspectKey(k: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(k) ? k : quote(k);
}

export function inspect(v: unknown, depth = 2, seen: unknown[] = []): string {
  if (typeof v === 'string') return seen.length === 0 ? v : quote(v);
  if (typeof v === 'function') return `[Function: ${(v as { name?: string }).name || '(anonymous)'}]`;
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'symbol') return v.toString();
  if (v === null || typeof v !== 'object') return P.String(v);
  if (v instanceof Error) return v.stack ?? `${v.name}: ${v.message}`;
  if (seen.includes(v)) return '[Circular *1]';
  if (v instanceof Date) return isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
  if (v instanceof RegExp) return v.toString();
  if (depth < 0) return P.isArray(v) ? '[Array]' : '[Object]';
  const next = [...seen, v];
  if (P.isArray(v)) {
    if (v.length === 0) return '[]';
    const items = v.slice(0, 100).map((x) => inspect(x, depth - 1, next));
    if (v.length > 100) items.push(`... ${v.length - 100} more items`);
    return `[ ${items.join(', ')} ]`;
  }
  if (ArrayBuffer.isView(v)) {
    const name = (v.constructor as { name?: string } | undefined)?.name ?? 'TypedArray';
    const bytes = new Uint8Array(v.buffer, v.byteOffset, Math.min(v.byteLength, 50));
    return `<${name} ${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ')}${v.byteLength > 50 ? ' ...' : ''}>`;
  }
  if (v instanceof Map)
    return `Map(${v.size}) { ${[...v].map(([k, x]) => `${inspect(k, depth - 1, next)} => ${inspect(x, depth - 1, next)}`).join(', ')} }`;
  if (v instanceof Set) return `Set(${v.size}) { ${[...v].map((x) => inspect(x, depth - 1, next)).join(', ')} }`;
  const keys = P.keys(v);
  const ctor = (v as { constructor?: { name?: string } }).constructor?.name;
  const prefix = ctor && ctor !== 'Object' ? `${ctor} ` : '';
  if (keys.length === 0) return `${prefix}{}`;
  const parts = keys.map((k) => `${inspectKey(k)}: ${inspect((v as Record<string, unknown>)[k], depth - 1, next)}`);
  return `${prefix}{ ${parts.join(', ')} }`;
}

/** Node's util.format: %s %d %i %f %j %o %O %c %%, then the remaining arguments inspected. */
export function format(...args: unknown[]): string {
  const first = args[0];
  let rest = 0;
  let out: string;
  if (typeof first === 'string' && first.includes('%')) {
    rest = 1;
    out = first.replace(/%([sdifjoOc%])/g, (m, c: string) => {
      if (c === '%') return '%';
      if (rest >= args.length) return m;
      const a = args[rest++];
      switch (c) {
        case 's':
          return typeof a === 'string' ? a : typeof a === 'object' && a !== null ? inspect(a, 1) : P.String(a);
        case 'd':
        case 'i': {
          const n = typeof a === 'bigint' ? a : Number(a);
          return c === 'i' && typeof n === 'number' ? P.String(Math.trunc(n)) : P.String(n);
        }
        case 'f':
          return P.String(parseFloat(P.String(a)));
        case 'j':
          try {
            return P.stringify(a) ?? 'undefined';
          } catch {
            return '[Circular]';
          }
        case 'c':
          return '';
        default:
          return inspect(a, 4);
      }
    });
  } else {
    out = args.length > 0 ? inspect(first) : '';
    rest = 1;
  }
  for (let i = rest; i < args.length; i++) {
    const a = args[i];
    out += ' ' + (typeof a === 'string' ? a : inspect(a));
  }
  return out;
}

function emit(level: Level, args: unknown[]): void {
  op('log', level, format(...args));
}

/** The console object; CloudFront Functions get only `log` (spec 8.3). */
export function makeConsole(onlyLog: boolean): Record<string, unknown> {
  const c: Record<string, unknown> = { log: (...a: unknown[]) => emit('log', a) };
  if (onlyLog) return c;
  const counts = new Map<string, number>();
  const times = new Map<string, number>();
  Object.assign(c, {
    info: (...a: unknown[]) => emit('info', a),
    warn: (...a: unknown[]) => emit('warn', a),
    error: (...a: unknown[]) => emit('error', a),
    debug: (...a: unknown[]) => emit('debug', a),
    trace: (...a: unknown[]) =>
      emit('error', ['Trace: ' + format(...a) + '\n' + (new Error().stack ?? '').split('\n').slice(2).join('\n')]),
    dir: (o: unknown) => emit('log', [inspect(o)]),
    table: (...a: unknown[]) => emit('log', a),
    assert: (cond: unknown, ...a: unknown[]) => {
      if (!cond) emit('error', ['Assertion failed' + (a.length ? ': ' + format(...a) : '')]);
    },
    count: (label = 'default') => {
      const n = (counts.get(label) ?? 0) + 1;
      counts.set(label, n);
      emit('info', [`${label}: ${n}`]);
    },
    countReset: (label = 'default') => counts.delete(label),
    time: (label = 'default') => times.set(label, P.dateNow()),
    timeEnd: (label = 'default') => {
      const t = times.get(label);
      if (t !== undefined) emit('info', [`${label}: ${P.dateNow() - t}ms`]);
      times.delete(label);
    },
    timeLog: (label = 'default', ...a: unknown[]) => {
      const t = times.get(label);
      if (t !== undefined) emit('info', [`${label}: ${P.dateNow() - t}ms`, ...a]);
    },
    group: () => {},
    groupEnd: () => {},
  });
  return c;
}

/**
 * @module runtime/guest/builtins/lib/inspect
 * A basic `util.inspect`: Node's notation for primitives, arrays, objects, class instances,
 * Maps, Sets, Dates, RegExps, Errors, functions, typed arrays, circular references and the
 * `util.inspect.custom` hook, with `depth` and single-line output up to 72 characters. Not a
 * byte-exact copy of Node's (which is 3,000 lines); good enough for logs.
 */

export const customInspect = Symbol.for('nodejs.util.inspect.custom');

export interface InspectOptions {
  depth?: number | null;
  showHidden?: boolean;
  colors?: boolean;
  compact?: boolean | number;
  breakLength?: number;
  sorted?: boolean;
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

function quote(s: string): string {
  const q = !s.includes("'") ? "'" : !s.includes('"') ? '"' : !s.includes('`') ? '`' : "'";
  const body = s.replace(
    /[\\\n\r\t\b\f\v\0]/g,
    (c) =>
      ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f', '\v': '\\v', '\0': '\\x00' })[
        c
      ]!,
  );
  return q + (q === "'" ? body.replace(/'/g, "\\'") : body) + q;
}

function key(k: string | symbol): string {
  if (typeof k === 'symbol') return `[${k.toString()}]`;
  return IDENT.test(k) ? k : quote(k);
}

function wrap(open: string, items: string[], close: string, indent: string, breakLength: number): string {
  if (items.length === 0) return `${open}${close}`;
  const single = `${open} ${items.join(', ')} ${close}`;
  if (single.length + indent.length <= breakLength && !items.some((i) => i.includes('\n'))) return single;
  const inner = indent + '  ';
  return `${open}\n${inner}${items.map((i) => i.replace(/\n/g, '\n  ')).join(`,\n${inner}`)}\n${indent}${close}`;
}

export function inspect(value: unknown, opts: InspectOptions = {}): string {
  const depth = opts.depth === null ? Infinity : (opts.depth ?? 2);
  const breakLength = opts.breakLength ?? 80;
  const seen: object[] = [];
  const fmt = (v: unknown, level: number, top: boolean): string => {
    switch (typeof v) {
      case 'string':
        return quote(v);
      case 'number':
        return Object.is(v, -0) ? '-0' : String(v);
      case 'bigint':
        return `${v}n`;
      case 'symbol':
        return v.toString();
      case 'undefined':
        return 'undefined';
      case 'boolean':
        return String(v);
      case 'function': {
        const name = v.name ? `: ${v.name}` : ' (anonymous)';
        const kind = /^class\s/.test(Function.prototype.toString.call(v)) ? 'class' : 'Function';
        const props = Object.keys(v);
        const head = kind === 'class' ? `[class ${v.name || '(anonymous)'}]` : `[${kind}${name}]`;
        return props.length && level <= depth
          ? wrap(
              `${head} {`,
              props.map((k) => `${key(k)}: ${fmt((v as any)[k], level + 1, false)}`),
              '}',
              '',
              breakLength,
            )
          : head;
      }
    }
    if (v === null) return 'null';
    const o = v as Record<string | symbol, unknown>;
    if (typeof o[customInspect] === 'function') {
      const r = (o[customInspect] as (d: number, o: object, i: typeof inspect) => unknown)(
        depth - level,
        { ...opts, stylize: (s: string) => s },
        inspect,
      );
      return typeof r === 'string' ? r : fmt(r, level, false);
    }
    if (seen.includes(o)) return '[Circular *1]';
    if (v instanceof Date) return isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
    if (v instanceof RegExp) return String(v);
    if (v instanceof Error) return v.stack || `${v.name}: ${v.message}`;
    if (level > depth) return Array.isArray(v) ? '[Array]' : `[${ctorName(o) || 'Object'}]`;
    seen.push(o);
    try {
      return fmtObject(o, level, fmt, breakLength, opts.sorted === true);
    } finally {
      seen.pop();
    }
  };
  return fmt(value, 0, true);
}

function ctorName(o: object): string | null {
  const proto = Object.getPrototypeOf(o);
  if (proto === null) return null;
  return typeof proto.constructor === 'function' ? proto.constructor.name : 'Object';
}

type Fmt = (v: unknown, level: number, top: boolean) => string;

function fmtObject(
  o: Record<string | symbol, unknown>,
  level: number,
  fmt: Fmt,
  breakLength: number,
  sorted: boolean,
): string {
  const indent = '  '.repeat(level);
  const keys = Object.keys(o);
  if (sorted) keys.sort();
  const props = (skip: (k: string) => boolean) =>
    keys.filter((k) => !skip(k)).map((k) => `${key(k)}: ${fmt(o[k], level + 1, false)}`);
  const name = ctorName(o);
  if (Array.isArray(o)) {
    const items = o.slice(0, 100).map((x) => fmt(x, level + 1, false));
    if (o.length > 100) items.push(`... ${o.length - 100} more items`);
    return wrap(
      name === 'Array' ? '[' : `${name}(${o.length}) [`,
      [...items, ...props((k) => /^\d+$/.test(k))],
      ']',
      indent,
      breakLength,
    );
  }
  if (ArrayBuffer.isView(o) && !(o instanceof DataView)) {
    const arr = Array.from(o as unknown as ArrayLike<number | bigint>);
    const items = arr.slice(0, 100).map((x) => fmt(x, level + 1, false));
    if (arr.length > 100) items.push(`... ${arr.length - 100} more items`);
    return wrap(`${name}(${arr.length}) [`, items, ']', indent, breakLength);
  }
  if (o instanceof Map) {
    const items = [...o].map(([k, v]) => `${fmt(k, level + 1, false)} => ${fmt(v, level + 1, false)}`);
    return wrap(`Map(${o.size}) {`, [...items, ...props(() => false)], '}', indent, breakLength);
  }
  if (o instanceof Set)
    return wrap(
      `Set(${o.size}) {`,
      [...o].map((x) => fmt(x, level + 1, false)),
      '}',
      indent,
      breakLength,
    );
  if (o instanceof Promise) return 'Promise { <unknown> }';
  if (o instanceof ArrayBuffer) return `ArrayBuffer { byteLength: ${o.byteLength} }`;
  const syms = Object.getOwnPropertySymbols(o).filter((s) => Object.prototype.propertyIsEnumerable.call(o, s));
  const items = [...props(() => false), ...syms.map((s) => `${key(s)}: ${fmt(o[s], level + 1, false)}`)];
  const tag = (o as any)[Symbol.toStringTag];
  let open = '{';
  if (name === null) open = '[Object: null prototype] {';
  else if (name !== 'Object') open = `${name} {`;
  if (typeof tag === 'string' && tag !== name) open = `${name ?? 'Object'} [${tag}] {`;
  return wrap(open, items, '}', indent, breakLength);
}

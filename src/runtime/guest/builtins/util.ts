/**
 * @module runtime/guest/builtins/util
 * Node's `util`: format, inspect (basic), promisify/callbackify, deprecate, inherits,
 * isDeepStrictEqual, `types`, the legacy `is*` helpers, TextEncoder and TextDecoder.
 */
import type { Require } from './lib/types.js';
import { maybe } from './lib/types.js';
import { customInspect, inspect } from './lib/inspect.js';
import type { InspectOptions } from './lib/inspect.js';
import { deepEqual } from './lib/deep-equal.js';
import { toUSVString } from './lib/utf8.js';

const kCustomPromisify = Symbol.for('nodejs.util.promisify.custom');
const tagOf = (v: unknown): string => Object.prototype.toString.call(v).slice(8, -1);

/** util.format: %s %d %i %f %j %o %O %c %%, then the remaining arguments inspected. */
function format(...args: unknown[]): string {
  const first = args[0];
  if (typeof first !== 'string') return args.map((a) => (typeof a === 'string' ? a : inspect(a))).join(' ');
  let i = 1;
  let out = first.replace(/%([sdifjoOc%])/g, (m, c: string) => {
    if (c === '%') return '%';
    if (i >= args.length) return m;
    const a = args[i++];
    switch (c) {
      case 's':
        if (typeof a === 'bigint') return `${a}n`;
        if (typeof a === 'object' && a !== null) return inspect(a, { depth: 1 });
        return typeof a === 'symbol' ? a.toString() : String(a);
      case 'd':
        return typeof a === 'bigint' ? `${a}n` : typeof a === 'symbol' ? 'NaN' : String(Number(a));
      case 'i':
        return typeof a === 'bigint' ? `${a}n` : typeof a === 'symbol' ? 'NaN' : String(parseInt(String(a), 10));
      case 'f':
        return typeof a === 'symbol' ? 'NaN' : String(parseFloat(String(a)));
      case 'j':
        try {
          return JSON.stringify(a) ?? 'undefined';
        } catch {
          return '[Circular]';
        }
      case 'o':
        return inspect(a, { showHidden: true, depth: 4 });
      case 'O':
        return inspect(a);
      default:
        return ''; // %c: CSS, ignored outside browsers
    }
  });
  for (; i < args.length; i++) out += ' ' + (typeof args[i] === 'string' ? args[i] : inspect(args[i]));
  return out;
}

function promisify(fn: any): any {
  if (typeof fn !== 'function')
    throw Object.assign(new TypeError('The "original" argument must be of type function'), {
      code: 'ERR_INVALID_ARG_TYPE',
    });
  if (typeof fn[kCustomPromisify] === 'function') return fn[kCustomPromisify];
  function promisified(this: unknown, ...args: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      fn.call(this, ...args, (err: unknown, ...values: unknown[]) => (err ? reject(err) : resolve(values[0])));
    });
  }
  Object.setPrototypeOf(promisified, Object.getPrototypeOf(fn));
  Object.defineProperty(promisified, kCustomPromisify, { value: promisified });
  return Object.defineProperties(promisified, Object.getOwnPropertyDescriptors(fn));
}

function callbackify(fn: (...a: unknown[]) => Promise<unknown>): (...a: unknown[]) => void {
  return function (this: unknown, ...args: unknown[]) {
    const cb = args.pop() as (err: unknown, v?: unknown) => void;
    fn.apply(this, args).then(
      (v) => cb(null, v),
      (e) => cb(e ?? Object.assign(new Error('Promise was rejected with a falsy value'), { reason: e })),
    );
  };
}

function deprecate<T extends (...a: any[]) => any>(fn: T, msg: string, code?: string): T {
  let warned = false;
  return function (this: unknown, ...args: unknown[]) {
    if (!warned) {
      warned = true;
      if (maybe.process?.emitWarning) maybe.process.emitWarning(msg, 'DeprecationWarning');
      else maybe.console?.warn(`(node) [${code ?? 'DEP'}] DeprecationWarning: ${msg}`);
    }
    return new.target ? Reflect.construct(fn, args, new.target) : fn.apply(this, args);
  } as T;
}

function inherits(ctor: any, superCtor: any): void {
  if (typeof ctor !== 'function' || typeof superCtor !== 'function' || superCtor.prototype === undefined) {
    throw Object.assign(new TypeError('The "ctor" and "superCtor" arguments must be functions'), {
      code: 'ERR_INVALID_ARG_TYPE',
    });
  }
  Object.defineProperty(ctor, 'super_', { value: superCtor, writable: true, configurable: true });
  Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
}

const types = {
  isDate: (v: unknown) => v instanceof Date,
  isRegExp: (v: unknown) => v instanceof RegExp,
  isPromise: (v: unknown) => v instanceof Promise,
  isMap: (v: unknown) => v instanceof Map,
  isSet: (v: unknown) => v instanceof Set,
  isWeakMap: (v: unknown) => v instanceof WeakMap,
  isWeakSet: (v: unknown) => v instanceof WeakSet,
  isNativeError: (v: unknown) => v instanceof Error,
  isArrayBuffer: (v: unknown) => v instanceof ArrayBuffer,
  isSharedArrayBuffer: (v: unknown) => tagOf(v) === 'SharedArrayBuffer',
  isAnyArrayBuffer: (v: unknown) => v instanceof ArrayBuffer || tagOf(v) === 'SharedArrayBuffer',
  isArrayBufferView: (v: unknown) => ArrayBuffer.isView(v),
  isDataView: (v: unknown) => v instanceof DataView,
  isTypedArray: (v: unknown) => ArrayBuffer.isView(v) && !(v instanceof DataView),
  isUint8Array: (v: unknown) => v instanceof Uint8Array,
  isUint16Array: (v: unknown) => v instanceof Uint16Array,
  isUint32Array: (v: unknown) => v instanceof Uint32Array,
  isInt8Array: (v: unknown) => v instanceof Int8Array,
  isFloat32Array: (v: unknown) => v instanceof Float32Array,
  isFloat64Array: (v: unknown) => v instanceof Float64Array,
  isAsyncFunction: (v: unknown) => tagOf(v) === 'AsyncFunction' || tagOf(v) === 'AsyncGeneratorFunction',
  isGeneratorFunction: (v: unknown) => tagOf(v) === 'GeneratorFunction' || tagOf(v) === 'AsyncGeneratorFunction',
  isGeneratorObject: (v: unknown) => tagOf(v) === 'Generator',
  isBoxedPrimitive: (v: unknown) =>
    typeof v === 'object' && v !== null && ['Number', 'String', 'Boolean', 'Symbol', 'BigInt'].includes(tagOf(v)),
  isProxy: (_v: unknown) => false,
};

export default function factory(_bridge: unknown, require: Require) {
  const web = require('__web');
  const inspectFn = Object.assign(
    (v: unknown, opts?: InspectOptions | boolean) => inspect(v, typeof opts === 'object' ? opts : {}),
    {
      custom: customInspect,
      defaultOptions: { depth: 2, breakLength: 80 },
    },
  );
  (promisify as any).custom = kCustomPromisify;
  return {
    format,
    formatWithOptions: (_opts: unknown, ...args: unknown[]) => format(...args),
    inspect: inspectFn,
    promisify,
    callbackify,
    deprecate,
    inherits,
    isDeepStrictEqual: (a: unknown, b: unknown) => deepEqual(a, b, true),
    types,
    debuglog: () => Object.assign(() => {}, { enabled: false }),
    debug: () => Object.assign(() => {}, { enabled: false }),
    stripVTControlCharacters: (s: string) => s.replace(/\u001b\[[0-9;]*[A-Za-z]/g, ''),
    toUSVString: (s: string) => toUSVString(String(s)),
    TextEncoder: web.TextEncoder,
    TextDecoder: web.TextDecoder,
    isArray: Array.isArray,
    isBoolean: (v: unknown) => typeof v === 'boolean',
    isNull: (v: unknown) => v === null,
    isNullOrUndefined: (v: unknown) => v === null || v === undefined,
    isNumber: (v: unknown) => typeof v === 'number',
    isString: (v: unknown) => typeof v === 'string',
    isSymbol: (v: unknown) => typeof v === 'symbol',
    isUndefined: (v: unknown) => v === undefined,
    isRegExp: types.isRegExp,
    isObject: (v: unknown) => v !== null && typeof v === 'object',
    isDate: types.isDate,
    isError: types.isNativeError,
    isFunction: (v: unknown) => typeof v === 'function',
    isPrimitive: (v: unknown) => v === null || (typeof v !== 'object' && typeof v !== 'function'),
    isBuffer: (v: unknown) => require('buffer').Buffer.isBuffer(v),
  };
}

/**
 * @module runtime/guest/cff
 * INSIDE the isolate. The CloudFront Functions shim (spec 8): a top-level `handler(event)`
 * returning the request or a response (js-2.0 may be async), no code generation from strings,
 * no timers, `Date` frozen for the whole run, `request.rawQueryString()`, and the `cloudfront`
 * module (KeyValueStore reads and the origin helpers, recorded for the host).
 */
import { P, op } from './host.js';
import { describeError } from './lambda.js';
import { provideModule, requireModule } from './modules.js';

export interface CffConfig {
  runtime: '1.0' | '2.0';
  /** The associated KeyValueStore id, or null when none is associated. */
  kvsId: string | null;
}

interface CffMeta {
  id: number;
  now: number;
  eventType: string;
  rawQueryString: string | null;
  /** Origin ids of the distribution (selectRequestOriginById checks against them when given). */
  originIds: string[] | null;
}

type Handler = (event: unknown) => unknown;
let handler: Handler | undefined;
let cfg: CffConfig;
let frozenNow = 0;
let eventType = 'viewer-request';
let origin: Record<string, unknown> | undefined;
let reported = -1;
let currentId = -1;
let originIds: string[] | null = null;

function blocked(): never {
  throw new EvalError('Code generation from strings is not allowed in CloudFront Functions');
}

/** No eval, no Function constructors (spec 8.3); `instanceof Function` keeps working. */
function lockdown(): void {
  const ctors = [
    Function,
    Object.getPrototypeOf(async function () {}).constructor,
    Object.getPrototypeOf(function* () {}).constructor,
    Object.getPrototypeOf(async function* () {}).constructor,
  ] as Array<{ prototype: object }>;
  for (const C of ctors) {
    const stub = function () {
      blocked();
    };
    stub.prototype = C.prototype;
    P.defineProperty(C.prototype, 'constructor', { value: stub, writable: false, configurable: false });
  }
  const fnStub = function () {
    blocked();
  };
  fnStub.prototype = Function.prototype;
  P.defineProperty(globalThis, 'Function', { value: fnStub, writable: false, configurable: false });
  P.defineProperty(globalThis, 'eval', { value: fnStub, writable: false, configurable: false });
}

/** `Date` frozen at the start of each run (spec 8.3): `new Date()` and `Date.now()` agree. */
function freezeDate(): void {
  const RealDate = Date;
  const FrozenDate = function (this: unknown, ...args: unknown[]) {
    if (!new.target) return new RealDate(frozenNow).toString();
    return args.length === 0
      ? new RealDate(frozenNow)
      : new (RealDate as unknown as new (...a: unknown[]) => Date)(...args);
  } as unknown as DateConstructor;
  P.defineProperty(FrozenDate, 'prototype', { value: RealDate.prototype });
  FrozenDate.now = () => frozenNow;
  FrozenDate.parse = RealDate.parse;
  FrozenDate.UTC = RealDate.UTC;
  P.defineProperty(globalThis, 'Date', { value: FrozenDate, writable: true, configurable: true });
}

function kvs(id?: string): Record<string, unknown> {
  if (cfg.kvsId === null) throw new Error('There is no KeyValueStore associated with this function');
  const store = id ?? cfg.kvsId;
  if (store !== cfg.kvsId) throw new Error(`KeyValueStore '${store}' is not associated with this function`);
  const get = (key: unknown, opts?: { format?: string }) =>
    new P.Promise((resolve, reject) => {
      const v = op('kvs', 'get', store, P.String(key)) as string | null;
      if (v === null) return reject(new Error(`Key not found: ${P.String(key)}`));
      const format = opts?.format ?? 'string';
      if (format === 'json') return resolve(P.parse(v));
      if (format === 'bytes') {
        const B = (globalThis as { Buffer?: { from(s: string, e: string): Uint8Array } }).Buffer;
        if (B) return resolve(B.from(v, 'utf8'));
        const bin = unescape(encodeURIComponent(v));
        return resolve(Uint8Array.from(bin, (ch) => ch.charCodeAt(0)));
      }
      if (format !== 'string') return reject(new Error(`Unknown format '${format}' (expected string, json or bytes)`));
      resolve(v);
    });
  const exists = (key: unknown) => P.Promise.resolve(op('kvs', 'get', store, P.String(key)) !== null);
  const meta = () => P.Promise.resolve(op('kvs', 'meta', store));
  return { get, exists, meta };
}

function viewerRequestOnly(name: string): void {
  if (eventType !== 'viewer-request') throw new Error(`cf.${name}() is only available at viewer-request`);
}

function cloudfrontModule(): Record<string, unknown> {
  const cf: Record<string, unknown> = {
    kvs,
    updateRequestOrigin(params: Record<string, unknown>) {
      viewerRequestOnly('updateRequestOrigin');
      if (typeof params !== 'object' || params === null) throw new TypeError('updateRequestOrigin expects an object');
      origin = { ...(origin ?? {}), ...P.parse(P.stringify(params)) };
    },
    selectRequestOriginById(originId: unknown) {
      viewerRequestOnly('selectRequestOriginById');
      const id = P.String(originId);
      if (originIds && !originIds.includes(id)) throw new Error(`No origin with id '${id}' in this distribution`);
      origin = { originId: id };
    },
    createRequestOriginGroup(params: { originIds?: unknown; failoverCriteria?: { statusCodes?: unknown } }) {
      viewerRequestOnly('createRequestOriginGroup');
      const ids = params?.originIds;
      if (!P.isArray(ids) || ids.length !== 2)
        throw new Error('createRequestOriginGroup needs originIds: [primary, secondary]');
      const codes = params.failoverCriteria?.statusCodes;
      origin = {
        originGroup: {
          originIds: ids.map((x) => P.String(x)),
          failoverStatusCodes: P.isArray(codes) ? codes.map((x) => Number(x)) : [],
        },
      };
    },
    edgeLocation: { name: 'VRG', serverIp: '127.0.0.1', region: 'us-east-1' },
  };
  return cf;
}

export function setupCff(c: CffConfig): void {
  cfg = c;
  if (c.runtime === '2.0') provideModule('cloudfront', cloudfrontModule);
  freezeDate();
  lockdown();
}

export function loadCff(wrapper: (...a: unknown[]) => unknown, filename: string): void {
  const module = { exports: {} as Record<string, unknown> };
  P.apply(wrapper, module.exports, [module.exports, requireModule, module, filename, '/']);
  const h = module.exports.__cffHandler;
  if (typeof h !== 'function') throw new Error('The function code must declare a top-level function named handler');
  handler = h as Handler;
}

function done(id: number, kind: 'ok' | 'error' | 'invalid-json', payload: string): void {
  if (reported === id) return;
  reported = id;
  op('done', id, kind, payload);
}

function finish(id: number, result: unknown): void {
  let json: string | undefined;
  try {
    json = P.stringify({ result: result === undefined ? null : result, origin: origin ?? null });
  } catch (e) {
    return done(id, 'invalid-json', describeError(e));
  }
  done(id, 'ok', json ?? 'null');
}

export function invokeCff(eventJson: string, metaJson: string): void {
  const meta = P.parse(metaJson) as CffMeta;
  frozenNow = meta.now;
  eventType = meta.eventType;
  originIds = meta.originIds;
  origin = undefined;
  currentId = meta.id;
  const id = meta.id;
  const event = P.parse(eventJson) as { request?: Record<string, unknown> };
  const raw = meta.rawQueryString;
  if (event.request)
    P.defineProperty(event.request, 'rawQueryString', {
      value: () => (raw === null ? undefined : raw),
      enumerable: false,
    });
  let ret: unknown;
  try {
    ret = P.apply(handler!, undefined, [event]);
  } catch (err) {
    return done(id, 'error', describeError(err));
  }
  if (ret !== null && typeof ret === 'object' && typeof (ret as { then?: unknown }).then === 'function') {
    (ret as Promise<unknown>).then(
      (r) => finish(id, r),
      (e) => done(id, 'error', describeError(e)),
    );
    return;
  }
  finish(id, ret);
}

/** The host's idle check: an async handler whose promise never settled. */
export function checkIdleCff(): void {
  if (reported !== currentId)
    done(currentId, 'error', 'Error: The function did not return a value: its promise never settled');
}

/**
 * @module runtime/guest/builtins/lib/subtle
 * WebCrypto (`crypto.subtle`, `getRandomValues`, `randomUUID`) for the isolate, enough to verify
 * RS256 / PS256 / ES256 / HS256 JWTs: importKey (jwk, spki, pkcs8, raw), sign, verify, digest,
 * exportKey. A CryptoKey keeps its material in the guest (PEM text or secret bytes); the host
 * re-creates the key per call from a small cache, so no key state lives on the host.
 * Host errors arrive as "[Name] message" and become errors with that `name` (WebCrypto throws
 * DOMExceptions: NotSupportedError, DataError, InvalidAccessError).
 */
import type { Bridge } from './types.js';

type Alg = string | { name: string; hash?: string | { name: string }; [k: string]: unknown };
type Bytes = ArrayBuffer | ArrayBufferView;

const kMaterial = Symbol('material');

function toBytes(d: Bytes): Uint8Array {
  if (d instanceof ArrayBuffer) return new Uint8Array(d);
  if (ArrayBuffer.isView(d)) return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  throw Object.assign(new TypeError('Failed to execute: parameter is not of type BufferSource'), {
    code: 'ERR_INVALID_ARG_TYPE',
  });
}

function toArrayBuffer(u: Uint8Array): ArrayBuffer {
  return u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength) as ArrayBuffer;
}

function domError(e: unknown): Error {
  const m = /^\[(\w+)\] (.*)$/s.exec(e instanceof Error ? e.message : String(e));
  if (!m) return e as Error;
  const err = new Error(m[2]);
  err.name = m[1]!;
  return err;
}

/** A plain, transferable algorithm description with `hash` flattened to a `{name}` object. */
function normalize(alg: Alg): Record<string, unknown> {
  const o = typeof alg === 'string' ? { name: alg } : { ...alg };
  if (typeof o.hash === 'string') o.hash = { name: o.hash };
  for (const k of Object.keys(o)) {
    const v = (o as Record<string, unknown>)[k];
    if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) (o as Record<string, unknown>)[k] = toBytes(v as Bytes);
  }
  return o;
}

export function createWebCrypto(bridge: Bridge, randomUUID: () => string) {
  class CryptoKey {
    readonly type: 'secret' | 'public' | 'private';
    readonly extractable: boolean;
    readonly algorithm: Record<string, unknown>;
    readonly usages: string[];
    readonly [kMaterial]: string | Uint8Array;
    constructor(
      info: {
        type: 'secret' | 'public' | 'private';
        algorithm: Record<string, unknown>;
        material: string | Uint8Array;
      },
      extractable: boolean,
      usages: string[],
    ) {
      this.type = info.type;
      this.algorithm = info.algorithm;
      this.extractable = extractable;
      this.usages = usages;
      this[kMaterial] = info.material;
    }
    get [Symbol.toStringTag](): string {
      return 'CryptoKey';
    }
  }

  const run = <T>(fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(domError(e));
    }
  };

  const usable = (key: CryptoKey, usage: string): void => {
    if (!(key instanceof CryptoKey)) throw new TypeError('parameter 2 is not of type CryptoKey');
    if (!key.usages.includes(usage))
      throw new Error(`[InvalidAccessError] The requested operation is not valid for the provided key`);
  };

  const subtle = {
    digest: (alg: Alg, data: Bytes): Promise<ArrayBuffer> =>
      run(() => toArrayBuffer(bridge.call('crypto.subtle.digest', normalize(alg), toBytes(data)))),
    importKey: (
      format: string,
      keyData: unknown,
      alg: Alg,
      extractable: boolean,
      usages: string[],
    ): Promise<CryptoKey> =>
      run(() => {
        const data = format === 'jwk' ? JSON.parse(JSON.stringify(keyData)) : toBytes(keyData as Bytes);
        const info = bridge.call('crypto.subtle.importKey', String(format), data, normalize(alg), [...usages]);
        return new CryptoKey(info, Boolean(extractable), [...usages]);
      }),
    exportKey: (format: string, key: CryptoKey): Promise<unknown> =>
      run(() => {
        if (!key.extractable) throw new Error('[InvalidAccessError] key is not extractable');
        const r = bridge.call('crypto.subtle.exportKey', String(format), key.type, key.algorithm, key[kMaterial]);
        return r instanceof Uint8Array ? toArrayBuffer(r) : r;
      }),
    sign: (alg: Alg, key: CryptoKey, data: Bytes): Promise<ArrayBuffer> =>
      run(() => {
        usable(key, 'sign');
        return toArrayBuffer(
          bridge.call('crypto.subtle.sign', normalize(alg), key.type, key.algorithm, key[kMaterial], toBytes(data)),
        );
      }),
    verify: (alg: Alg, key: CryptoKey, sig: Bytes, data: Bytes): Promise<boolean> =>
      run(() => {
        usable(key, 'verify');
        return bridge.call(
          'crypto.subtle.verify',
          normalize(alg),
          key.type,
          key.algorithm,
          key[kMaterial],
          toBytes(sig),
          toBytes(data),
        );
      }),
  };

  function getRandomValues<T extends ArrayBufferView | null>(arr: T): T {
    const ok =
      arr instanceof Int8Array ||
      arr instanceof Uint8Array ||
      arr instanceof Uint8ClampedArray ||
      arr instanceof Int16Array ||
      arr instanceof Uint16Array ||
      arr instanceof Int32Array ||
      arr instanceof Uint32Array ||
      arr instanceof BigInt64Array ||
      arr instanceof BigUint64Array;
    if (!ok) {
      const e = new Error('The data argument must be an integer-type TypedArray');
      e.name = 'TypeMismatchError';
      throw e;
    }
    if (arr.byteLength > 65536) {
      const e = new Error(
        `The ArrayBufferView's byte length (${arr.byteLength}) exceeds the number of bytes of entropy available via this API (65536)`,
      );
      e.name = 'QuotaExceededError';
      throw e;
    }
    new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength).set(bridge.call('crypto.randomBytes', arr.byteLength));
    return arr;
  }

  return { subtle, getRandomValues, randomUUID, CryptoKey };
}

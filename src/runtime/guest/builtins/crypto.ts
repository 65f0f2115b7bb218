/**
 * @module runtime/guest/builtins/crypto
 * Node's `crypto`, computed by the host's node:crypto through the bridge: createHash,
 * createHmac, randomBytes/randomFillSync/randomUUID/randomInt, timingSafeEqual, sign/verify
 * (createSign/createVerify, PEM/DER/JWK keys), createPublicKey/createPrivateKey/createSecretKey,
 * pbkdf2/hkdf, and `webcrypto` (lib/subtle.ts). Hash inputs are collected in the guest and
 * sent once, as Uint8Array chunks, when the digest is taken.
 */
import type { Bridge, Require } from './lib/types.js';
import { defer } from './lib/types.js';
import { createWebCrypto } from './lib/subtle.js';

type Data = string | ArrayBufferView | ArrayBuffer;
type Cb<T> = (err: Error | null, value?: T) => void;

export default function factory(bridge: Bridge, require: Require) {
  const { Buffer } = require('buffer');
  const argType = (name: string): TypeError =>
    Object.assign(
      new TypeError(
        `The "${name}" argument must be of type string or an instance of Buffer, TypedArray, DataView or ArrayBuffer`,
      ),
      { code: 'ERR_INVALID_ARG_TYPE' },
    );

  function bytes(data: Data, enc?: string, name = 'data'): Uint8Array {
    if (typeof data === 'string') {
      const b = Buffer.from(data, enc || 'utf8');
      return new Uint8Array(b.buffer, b.byteOffset, b.length);
    }
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    throw argType(name);
  }
  const out = (u: Uint8Array, enc?: string): any => {
    const b = Buffer.from(u.buffer, u.byteOffset, u.byteLength);
    return enc && enc !== 'buffer' ? b.toString(enc) : b;
  };

  class KeyObject {
    readonly type: 'secret' | 'public' | 'private';
    readonly asymmetricKeyType?: string;
    readonly asymmetricKeyDetails?: Record<string, unknown>;
    readonly symmetricKeySize?: number;
    /** Transferable key material: PEM text, or raw bytes for secret keys. */
    readonly material: string | Uint8Array;
    constructor(info: {
      type: 'secret' | 'public' | 'private';
      asymmetricKeyType?: string;
      details?: Record<string, unknown>;
      material: string | Uint8Array;
    }) {
      this.type = info.type;
      this.material = info.material;
      if (info.type === 'secret') this.symmetricKeySize = (info.material as Uint8Array).length;
      else {
        this.asymmetricKeyType = info.asymmetricKeyType;
        this.asymmetricKeyDetails = info.details;
      }
    }
    export(opts: { format?: string; type?: string } = {}): any {
      if (this.type === 'secret')
        return opts.format === 'jwk'
          ? { kty: 'oct', k: out(this.material as Uint8Array, 'base64url') }
          : out(this.material as Uint8Array);
      const r = bridge.call('crypto.exportKey', this.material, this.type, opts);
      return typeof r === 'string' || (r && !(r instanceof Uint8Array)) ? r : out(r);
    }
    equals(other: KeyObject): boolean {
      return (
        other instanceof KeyObject &&
        other.type === this.type &&
        out(bytes(this.material)).equals(out(bytes(other.material)))
      );
    }
  }

  /** Turns anything Node accepts as a key into a transferable description for the host. */
  function keyInput(key: unknown): unknown {
    if (key instanceof KeyObject) return key.type === 'secret' ? key.material : { key: key.material, format: 'pem' };
    if (typeof key === 'string') return key;
    if (key instanceof ArrayBuffer || ArrayBuffer.isView(key)) return bytes(key as Data);
    if (key && typeof key === 'object') {
      const o = { ...(key as Record<string, unknown>) };
      if (o.key instanceof KeyObject) return { ...o, key: (o.key as KeyObject).material, format: 'pem' };
      if (o.key instanceof ArrayBuffer || ArrayBuffer.isView(o.key)) o.key = bytes(o.key as Data);
      if (o.passphrase !== undefined && typeof o.passphrase !== 'string') o.passphrase = bytes(o.passphrase as Data);
      return o;
    }
    throw Object.assign(
      new TypeError('The "key" argument must be of type string or an instance of Buffer, KeyObject or object'),
      { code: 'ERR_INVALID_ARG_TYPE' },
    );
  }

  function makeKey(kind: 'public' | 'private', input: unknown): KeyObject {
    if (input instanceof KeyObject && input.type === kind) return input;
    return new KeyObject(bridge.call('crypto.keyInfo', keyInput(input), kind));
  }

  class Hash {
    #alg: string;
    #chunks: Uint8Array[] = [];
    #done = false;
    #key: Uint8Array | null;
    constructor(alg: string, key: Uint8Array | null, chunks: Uint8Array[] = []) {
      this.#alg = String(alg);
      this.#key = key;
      this.#chunks = chunks;
      bridge.call('crypto.checkHash', this.#alg, key !== null);
    }
    update(data: Data, enc?: string): this {
      if (this.#done) throw Object.assign(new Error('Digest already called'), { code: 'ERR_CRYPTO_HASH_FINALIZED' });
      this.#chunks.push(bytes(data, enc).slice());
      return this;
    }
    digest(enc?: string): any {
      if (this.#done) throw Object.assign(new Error('Digest already called'), { code: 'ERR_CRYPTO_HASH_FINALIZED' });
      this.#done = true;
      const r = this.#key
        ? bridge.call('crypto.hmac', this.#alg, this.#key, this.#chunks)
        : bridge.call('crypto.hash', this.#alg, this.#chunks);
      this.#chunks = [];
      return out(r, enc);
    }
    copy(): Hash {
      return new Hash(this.#alg, this.#key, this.#chunks.slice());
    }
  }

  class SignVerify {
    #alg: string;
    #chunks: Uint8Array[] = [];
    constructor(alg: string) {
      this.#alg = String(alg);
    }
    update(data: Data, enc?: string): this {
      this.#chunks.push(bytes(data, enc).slice());
      return this;
    }
    end(data?: Data): void {
      if (data !== undefined) this.update(data);
    }
    sign(key: unknown, enc?: string): any {
      return out(bridge.call('crypto.sign', this.#alg, this.#chunks, keyInput(key)), enc);
    }
    verify(key: unknown, sig: Data, sigEnc?: string): boolean {
      return bridge.call('crypto.verify', this.#alg, this.#chunks, keyInput(key), bytes(sig, sigEnc, 'signature'));
    }
  }

  function randomBytes(size: number, cb?: Cb<unknown>): any {
    const n = Number(size);
    if (!Number.isInteger(n) || n < 0 || n > 2 ** 31 - 1) {
      throw Object.assign(
        new RangeError(`The value of "size" is out of range. It must be >= 0 && <= 2147483647. Received ${size}`),
        { code: 'ERR_OUT_OF_RANGE' },
      );
    }
    const b = out(bridge.call('crypto.randomBytes', n));
    if (typeof cb === 'function') return void defer(() => cb(null, b));
    return b;
  }

  function randomFillSync<T extends ArrayBufferView | ArrayBuffer>(buf: T, offset = 0, size?: number): T {
    const view = bytes(buf as Data);
    const len = size ?? view.length - offset;
    view.set(bridge.call('crypto.randomBytes', len), offset);
    return buf;
  }

  function randomInt(a: number, b?: number | Cb<number>, cb?: Cb<number>): any {
    if (typeof b === 'function' || b === undefined) [cb, b, a] = [b as Cb<number> | undefined, a, 0];
    const min = a;
    const max = b as number;
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max <= min || max - min >= 2 ** 48) {
      throw Object.assign(
        new RangeError(
          `The value of "max" is out of range. It must be greater than the value of "min" (${min}). Received ${max}`,
        ),
        { code: 'ERR_OUT_OF_RANGE' },
      );
    }
    const range = max - min;
    const limit = 2 ** 48 - (2 ** 48 % range); // rejection sampling: no modulo bias
    let x: number;
    do {
      const r = bridge.call('crypto.randomBytes', 6) as Uint8Array;
      x = r.reduce((acc, byte) => acc * 256 + byte, 0);
    } while (x >= limit);
    const v = min + (x % range);
    if (cb) return void defer(() => cb!(null, v));
    return v;
  }

  function timingSafeEqual(a: ArrayBufferView, b: ArrayBufferView): boolean {
    const x = bytes(a as Data, undefined, 'buf1');
    const y = bytes(b as Data, undefined, 'buf2');
    if (x.length !== y.length) {
      throw Object.assign(new RangeError('Input buffers must have the same byte length'), {
        code: 'ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH',
      });
    }
    let diff = 0;
    for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
    return diff === 0;
  }

  const oneShot =
    (name: 'crypto.sign' | 'crypto.verify') =>
    (alg: string | null | undefined, data: Data, key: unknown, sigOrCb?: unknown, cb?: Cb<unknown>): any => {
      const isVerify = name === 'crypto.verify';
      const callback = (isVerify ? cb : sigOrCb) as Cb<unknown> | undefined;
      const args = [alg ?? null, [bytes(data)], keyInput(key)];
      if (isVerify) args.push(bytes(sigOrCb as Data, undefined, 'signature'));
      const r = bridge.call(name, ...args);
      const v = isVerify ? r : out(r);
      if (typeof callback === 'function') return void defer(() => callback(null, v));
      return v;
    };

  function pbkdf2Sync(password: Data, salt: Data, iterations: number, keylen: number, digest: string): any {
    return out(bridge.call('crypto.pbkdf2', bytes(password), bytes(salt), iterations, keylen, String(digest)));
  }

  function hkdfSync(digest: string, ikm: Data | KeyObject, salt: Data, info: Data, keylen: number): ArrayBuffer {
    const key = ikm instanceof KeyObject ? (ikm.material as Uint8Array) : bytes(ikm);
    const r: Uint8Array = bridge.call('crypto.hkdf', String(digest), key, bytes(salt), bytes(info), keylen);
    return r.buffer.slice(r.byteOffset, r.byteOffset + r.byteLength) as ArrayBuffer;
  }

  const randomUUID = (): string => bridge.call('crypto.randomUUID');
  const webcrypto = createWebCrypto(bridge, randomUUID);
  const async =
    <A extends unknown[], T>(fn: (...a: A) => T) =>
    (...args: [...A, Cb<T>]) => {
      const cb = args.pop() as Cb<T>;
      let v: T;
      try {
        v = fn(...(args as unknown as A));
      } catch (e) {
        return void defer(() => cb(e as Error));
      }
      defer(() => cb(null, v));
    };

  return {
    createHash: (alg: string) => new Hash(alg, null),
    createHmac: (alg: string, key: unknown, _opts?: unknown) =>
      new Hash(alg, key instanceof KeyObject ? (key.material as Uint8Array) : bytes(key as Data, undefined, 'key')),
    createSign: (alg: string) => new SignVerify(alg),
    createVerify: (alg: string) => new SignVerify(alg),
    sign: oneShot('crypto.sign'),
    verify: oneShot('crypto.verify'),
    createPublicKey: (input: unknown) => makeKey('public', input),
    createPrivateKey: (input: unknown) => makeKey('private', input),
    createSecretKey: (key: Data, enc?: string) => new KeyObject({ type: 'secret', material: bytes(key, enc).slice() }),
    KeyObject,
    randomBytes,
    pseudoRandomBytes: randomBytes,
    randomFillSync,
    randomFill: (buf: ArrayBufferView, ...rest: unknown[]) => {
      const cb = rest.pop() as Cb<unknown>;
      randomFillSync(buf, ...(rest as [number?, number?]));
      defer(() => cb(null, buf));
    },
    randomInt,
    randomUUID,
    timingSafeEqual,
    pbkdf2Sync,
    pbkdf2: async(pbkdf2Sync),
    hkdfSync,
    hkdf: async(hkdfSync),
    getHashes: (): string[] => bridge.call('crypto.getHashes'),
    getRandomValues: webcrypto.getRandomValues,
    webcrypto,
    subtle: webcrypto.subtle,
    constants: {
      RSA_PKCS1_PADDING: 1,
      RSA_NO_PADDING: 3,
      RSA_PKCS1_OAEP_PADDING: 4,
      RSA_PKCS1_PSS_PADDING: 6,
      RSA_PSS_SALTLEN_DIGEST: -1,
      RSA_PSS_SALTLEN_MAX_SIGN: -2,
      RSA_PSS_SALTLEN_AUTO: -2,
    },
  };
}

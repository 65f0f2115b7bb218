/**
 * @module runtime/host/builtins/host-crypto
 * Host side of the guest `crypto` module, on node:crypto: hashes and HMACs over guest chunks,
 * random bytes, sign/verify with PEM/DER/JWK keys, key inspection and export, pbkdf2, hkdf.
 * Parsed keys are cached (bounded) by their material so that verifying many JWTs against the
 * same key does not re-parse the PEM each time.
 */
import crypto from 'node:crypto';
import { asBytes, asChunks, fresh } from './bytes.js';

type HostFn = (...args: any[]) => unknown;

const MAX_RANDOM = 1 << 20;
const KEY_CACHE_MAX = 256;
const MAX_PBKDF2_ITERATIONS = 1_000_000;

/** A bounded Map used as an LRU: re-inserted on hit, oldest evicted. */
export class KeyCache {
  #map = new Map<string, crypto.KeyObject>();
  get(id: string, make: () => crypto.KeyObject): crypto.KeyObject {
    const hit = this.#map.get(id);
    if (hit) {
      this.#map.delete(id);
      this.#map.set(id, hit);
      return hit;
    }
    const k = make();
    this.#map.set(id, k);
    if (this.#map.size > KEY_CACHE_MAX) this.#map.delete(this.#map.keys().next().value!);
    return k;
  }
}

/** Guest key input → what node:crypto accepts (strings and bytes pass through). */
function nodeKeyInput(
  k: unknown,
): crypto.KeyLike | crypto.PublicKeyInput | crypto.PrivateKeyInput | crypto.JsonWebKeyInput {
  if (typeof k === 'string') return k;
  if (k instanceof Uint8Array) return Buffer.from(k.buffer, k.byteOffset, k.byteLength);
  if (k && typeof k === 'object') {
    const o = { ...(k as Record<string, unknown>) };
    if (o.key instanceof Uint8Array) o.key = Buffer.from(o.key.buffer, o.key.byteOffset, o.key.byteLength);
    return o as unknown as crypto.PublicKeyInput;
  }
  throw new TypeError('invalid key');
}

function cacheId(kind: string, k: unknown): string {
  const h = crypto.createHash('sha256').update(kind);
  if (k instanceof Uint8Array) h.update('b').update(k);
  else h.update('j').update(JSON.stringify(k));
  return h.digest('base64');
}

function keyDetails(k: crypto.KeyObject): Record<string, unknown> {
  const d = { ...(k.asymmetricKeyDetails ?? {}) } as Record<string, unknown>;
  if (typeof d.publicExponent === 'bigint') d.publicExponent = Number(d.publicExponent);
  return d;
}

/** Signature options that only make sense in object form (padding, saltLength, dsaEncoding). */
function sigOptions(k: unknown): Record<string, unknown> {
  if (!k || typeof k !== 'object' || k instanceof Uint8Array) return {};
  const o = k as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of ['padding', 'saltLength', 'dsaEncoding']) if (o[f] !== undefined) out[f] = o[f];
  return out;
}

export function cryptoHostFunctions(cache: KeyCache): Record<string, HostFn> {
  const publicKey = (k: unknown) =>
    cache.get(cacheId('pub', k), () => crypto.createPublicKey(nodeKeyInput(k) as crypto.PublicKeyInput));
  const privateKey = (k: unknown) =>
    cache.get(cacheId('priv', k), () => crypto.createPrivateKey(nodeKeyInput(k) as crypto.PrivateKeyInput));
  const hashes = new Set(crypto.getHashes().map((h) => h.toLowerCase()));
  return {
    'crypto.getHashes': () => crypto.getHashes(),
    'crypto.checkHash': (alg: unknown) => {
      if (!hashes.has(String(alg).toLowerCase())) throw new Error(`Digest method not supported`);
      return true;
    },
    'crypto.hash': (alg: unknown, chunks: unknown) => {
      const h = crypto.createHash(String(alg));
      for (const c of asChunks(chunks)) h.update(c);
      return fresh(h.digest());
    },
    'crypto.hmac': (alg: unknown, key: unknown, chunks: unknown) => {
      const h = crypto.createHmac(String(alg), asBytes(key, 'key'));
      for (const c of asChunks(chunks)) h.update(c);
      return fresh(h.digest());
    },
    'crypto.randomBytes': (n: unknown) => {
      const size = Number(n);
      if (!Number.isInteger(size) || size < 0 || size > MAX_RANDOM)
        throw new RangeError(`randomBytes size must be 0..${MAX_RANDOM} per call`);
      return fresh(crypto.randomBytes(size));
    },
    'crypto.randomUUID': () => crypto.randomUUID(),
    'crypto.sign': (alg: unknown, chunks: unknown, key: unknown) => {
      const data = Buffer.concat(asChunks(chunks));
      return fresh(
        crypto.sign(alg === null ? null : String(alg), data, {
          key: privateKey(key),
          ...sigOptions(key),
        } as crypto.SignKeyObjectInput),
      );
    },
    'crypto.verify': (alg: unknown, chunks: unknown, key: unknown, sig: unknown) => {
      const data = Buffer.concat(asChunks(chunks));
      // Node accepts a private key for verification too (its public half is used).
      const isPrivate = typeof key === 'string' ? /PRIVATE KEY/.test(key) : false;
      const k = isPrivate ? crypto.createPublicKey(privateKey(key)) : publicKey(key);
      return crypto.verify(
        alg === null ? null : String(alg),
        data,
        { key: k, ...sigOptions(key) } as crypto.VerifyKeyObjectInput,
        asBytes(sig, 'signature'),
      );
    },
    'crypto.keyInfo': (key: unknown, kind: unknown) => {
      const k = kind === 'private' ? privateKey(key) : publicKey(key);
      const pem = k.export({ format: 'pem', type: kind === 'private' ? 'pkcs8' : 'spki' }) as string;
      return { type: k.type, asymmetricKeyType: k.asymmetricKeyType, details: keyDetails(k), material: pem };
    },
    'crypto.exportKey': (pem: unknown, kind: unknown, opts: unknown) => {
      const k = kind === 'private' ? privateKey(pem) : publicKey(pem);
      const o = (opts ?? {}) as { format?: string; type?: string };
      if (o.format === 'jwk') return k.export({ format: 'jwk' });
      const r = k.export({
        format: (o.format ?? 'pem') as 'pem',
        type: (o.type ?? (kind === 'private' ? 'pkcs8' : 'spki')) as 'spki',
      });
      return typeof r === 'string' ? r : fresh(r);
    },
    // Host CPU is not covered by the isolate's timeout, so the work per call is bounded.
    'crypto.pbkdf2': (pw: unknown, salt: unknown, iter: unknown, len: unknown, digest: unknown) => {
      if (Number(iter) > MAX_PBKDF2_ITERATIONS || Number(len) > 4096)
        throw new RangeError(`pbkdf2 is limited to ${MAX_PBKDF2_ITERATIONS} iterations and 4096 bytes in functions`);
      return fresh(crypto.pbkdf2Sync(asBytes(pw), asBytes(salt), Number(iter), Number(len), String(digest)));
    },
    'crypto.hkdf': (digest: unknown, ikm: unknown, salt: unknown, info: unknown, len: unknown) =>
      fresh(new Uint8Array(crypto.hkdfSync(String(digest), asBytes(ikm), asBytes(salt), asBytes(info), Number(len)))),
  };
}

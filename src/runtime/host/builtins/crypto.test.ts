/**
 * Guest `crypto` and WebCrypto inside a real isolate, checked against node:crypto on the host:
 * digests and HMACs, and real RS256 / ES256 / PS256 / HS256 JWTs signed on the host and verified
 * in the guest (createVerify, crypto.verify, createPublicKey, subtle.importKey + verify).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createSandbox } from './test-harness.js';
import type { Sandbox } from './test-harness.js';

let sb: Sandbox;
before(async () => {
  sb = await createSandbox();
});
after(() => sb.dispose());

const j = JSON.stringify;
const b64u = (b: Buffer | string) => Buffer.from(b).toString('base64url');

function jwt(alg: string, sign: (data: Buffer) => Buffer): string {
  const head = b64u(j({ alg, typ: 'JWT' }));
  const body = b64u(j({ sub: 'user-1', exp: 2000000000 }));
  return `${head}.${body}.${b64u(sign(Buffer.from(`${head}.${body}`)))}`;
}

const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsaPem = rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string;
const ecPem = ec.publicKey.export({ format: 'pem', type: 'spki' }) as string;
const rs256 = jwt('RS256', (d) => crypto.sign('sha256', d, rsa.privateKey));
const es256 = jwt('ES256', (d) => crypto.sign('sha256', d, { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }));
const ps256 = jwt('PS256', (d) =>
  crypto.sign('sha256', d, { key: rsa.privateKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }),
);
const hs256 = jwt('HS256', (d) => crypto.createHmac('sha256', 'secret').update(d).digest());
const tamper = (t: string) =>
  t.replace(/\.([^.]+)\./, (_m, p: string) => `.${p.slice(0, -2)}${p.endsWith('A') ? 'B' : 'A'}${p.slice(-1)}.`);

describe('hashes and HMACs', () => {
  test('createHash/createHmac digests match node:crypto in every encoding', async () => {
    const algs = ['md5', 'sha1', 'sha256', 'sha384', 'sha512'];
    const got = await sb.run(`const c = require('crypto'); return ${j(algs)}.flatMap((a) => [
      c.createHash(a).update('hello ').update(Buffer.from('wörld')).digest('hex'), c.createHash(a).update(new Uint8Array([1, 2, 3])).digest('base64'),
      c.createHmac(a, 'key').update('msg').digest('base64url'), [...c.createHmac(a, Buffer.from([0, 1])).update('').digest().subarray(0, 4)]]);`);
    assert.deepEqual(
      got,
      algs.flatMap((a) => [
        crypto.createHash(a).update('hello ').update(Buffer.from('wörld')).digest('hex'),
        crypto
          .createHash(a)
          .update(new Uint8Array([1, 2, 3]))
          .digest('base64'),
        crypto.createHmac(a, 'key').update('msg').digest('base64url'),
        [
          ...crypto
            .createHmac(a, Buffer.from([0, 1]))
            .update('')
            .digest()
            .subarray(0, 4),
        ],
      ]),
    );
  });
  test('unknown digest, reuse after digest, timingSafeEqual, random sizes', async () => {
    const got = await sb.run(`const c = require('crypto'); const out = [];
      try { c.createHash('nope'); } catch (e) { out.push(e.message); }
      const h = c.createHash('sha256'); h.digest(); try { h.update('x'); } catch (e) { out.push(e.code); }
      out.push(c.timingSafeEqual(Buffer.from('ab'), Buffer.from('ab')), c.timingSafeEqual(Buffer.from('ab'), Buffer.from('ac')));
      try { c.timingSafeEqual(Buffer.from('a'), Buffer.from('ab')); } catch (e) { out.push(e.code); }
      const ints = Array.from({ length: 200 }, () => c.randomInt(3, 7));
      out.push(c.randomBytes(16).length, /^[0-9a-f-]{36}$/.test(c.randomUUID()), Math.min(...ints) >= 3 && Math.max(...ints) < 7, new Set(ints).size > 1);
      const arr = crypto.getRandomValues(new Uint32Array(4)); out.push(arr.some((x) => x !== 0));
      out.push(c.pbkdf2Sync('pw', 'salt', 1000, 16, 'sha256').toString('hex'));
      return out;`);
    assert.deepEqual(got, [
      'Digest method not supported',
      'ERR_CRYPTO_HASH_FINALIZED',
      true,
      false,
      'ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH',
      16,
      true,
      true,
      true,
      true,
      crypto.pbkdf2Sync('pw', 'salt', 1000, 16, 'sha256').toString('hex'),
    ]);
  });
});

/** Guest code verifying a JWT with the classic Node API. */
const NODE_VERIFY = `
  const c = require('crypto');
  function verify(token, pem, alg) {
    const [h, p, s] = token.split('.');
    const sig = Buffer.from(s, 'base64url');
    if (alg === 'RS256') return c.createVerify('RSA-SHA256').update(h + '.' + p).verify(pem, sig);
    if (alg === 'PS256') return c.verify('sha256', Buffer.from(h + '.' + p), { key: c.createPublicKey(pem), padding: c.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig);
    if (alg === 'ES256') return c.verify('sha256', Buffer.from(h + '.' + p), { key: pem, dsaEncoding: 'ieee-p1363' }, sig);
    if (alg === 'HS256') return c.timingSafeEqual(c.createHmac('sha256', pem).update(h + '.' + p).digest(), sig);
  }`;

/** Guest code verifying a JWT with WebCrypto, as CloudFront auth samples do. */
const SUBTLE_VERIFY = `
  const enc = new TextEncoder();
  const b64 = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (ch) => ch.charCodeAt(0));
  async function verify(token, format, keyData, alg) {
    const [h, p, s] = token.split('.');
    const params = { RS256: [{ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, 'RSASSA-PKCS1-v1_5'], ES256: [{ name: 'ECDSA', namedCurve: 'P-256' }, { name: 'ECDSA', hash: 'SHA-256' }],
      PS256: [{ name: 'RSA-PSS', hash: 'SHA-256' }, { name: 'RSA-PSS', saltLength: 32 }], HS256: [{ name: 'HMAC', hash: 'SHA-256' }, 'HMAC'] }[alg];
    const data = format === 'spki' ? b64(keyData.replace(/-----[^-]+-----|\\s/g, '')) : format === 'raw' ? enc.encode(keyData) : keyData;
    const key = await crypto.subtle.importKey(format, data, params[0], false, ['verify']);
    return crypto.subtle.verify(params[1], key, b64(s), enc.encode(h + '.' + p));
  }`;

describe('JWT verification (RS256, ES256, PS256, HS256)', () => {
  test('node API: createVerify / crypto.verify / createPublicKey accept good tokens and reject tampered ones', async () => {
    const cases = [
      [rs256, rsaPem, 'RS256'],
      [es256, ecPem, 'ES256'],
      [ps256, rsaPem, 'PS256'],
      [hs256, 'secret', 'HS256'],
    ];
    const got = await sb.run(
      `${NODE_VERIFY}\nreturn ${j(cases)}.map(([t, k, a]) => [verify(t, k, a), verify(t.slice(0, -4) + (t.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'), k, a)]);`,
    );
    assert.deepEqual(
      got,
      cases.map(() => [true, false]),
    );
  });
  test('WebCrypto: importKey (spki, jwk, raw) + verify accept good tokens and reject tampered ones', async () => {
    const rsaJwk = rsa.publicKey.export({ format: 'jwk' });
    const ecJwk = ec.publicKey.export({ format: 'jwk' });
    const cases = [
      [rs256, 'spki', rsaPem, 'RS256'],
      [rs256, 'jwk', rsaJwk, 'RS256'],
      [es256, 'spki', ecPem, 'ES256'],
      [es256, 'jwk', ecJwk, 'ES256'],
      [ps256, 'jwk', rsaJwk, 'PS256'],
      [hs256, 'raw', 'secret', 'HS256'],
    ];
    const got = await sb.run(
      `${SUBTLE_VERIFY}\nconst out = []; for (const [t, f, k, a] of ${j(cases)}) out.push([await verify(t, f, k, a), await verify((${tamper.toString()})(t), f, k, a)]); return out;`,
    );
    assert.deepEqual(
      got,
      cases.map(() => [true, false]),
    );
  });
  test('WebCrypto rejects a key used for the wrong algorithm or usage, and signs HMAC like node:crypto', async () => {
    const got = await sb.run(`const out = []; const enc = new TextEncoder();
      const k = await crypto.subtle.importKey('raw', enc.encode('secret'), { name: 'HMAC', hash: 'SHA-256' }, true, ['sign']);
      out.push(Buffer.from(await crypto.subtle.sign('HMAC', k, enc.encode('data'))).toString('hex'));
      try { await crypto.subtle.verify('HMAC', k, new Uint8Array(32), enc.encode('data')); } catch (e) { out.push(e.name); }
      try { await crypto.subtle.importKey('spki', new Uint8Array([1, 2, 3]), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']); } catch (e) { out.push(e.name); }
      try { await crypto.subtle.importKey('raw', new Uint8Array(4), { name: 'AES-XYZ' }, false, ['verify']); } catch (e) { out.push(e.name); }
      out.push(Buffer.from(await crypto.subtle.digest('SHA-384', enc.encode('abc'))).toString('base64'));
      out.push(Buffer.from(await crypto.subtle.exportKey('raw', k)).toString());
      return out;`);
    assert.deepEqual(got, [
      crypto.createHmac('sha256', 'secret').update('data').digest('hex'),
      'InvalidAccessError',
      'DataError',
      'NotSupportedError',
      crypto.createHash('sha384').update('abc').digest('base64'),
      'secret',
    ]);
  });
  test('createPublicKey exposes key details and exports JWK equal to the host', async () => {
    const got = await sb.run(
      `const k = require('crypto').createPublicKey(${j(ecPem)}); return [k.type, k.asymmetricKeyType, k.asymmetricKeyDetails.namedCurve, k.export({ format: 'jwk' })];`,
    );
    assert.deepEqual(got, ['public', 'ec', 'prime256v1', ec.publicKey.export({ format: 'jwk' })]);
  });
});

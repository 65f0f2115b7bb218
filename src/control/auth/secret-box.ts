/**
 * @module control/auth/secret-box
 * Encryption at rest for function secrets: AES-256-GCM with a random 96-bit nonce per value and a
 * 32-byte key in `<dataDir>/secret.key` (mode 0600, created on first start). A sealed value reads
 * `v1:<nonce>:<tag>:<ciphertext>` (base64url). The key never enters the database, so a copy of
 * the database alone does not reveal secrets.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VergeError } from '../../shared/errors.js';

export const SECRET_KEY_FILE = 'secret.key';

export interface SecretBox {
  seal(plain: string): string;
  open(sealed: string): string;
}

export function loadOrCreateKey(dataDir: string): Buffer {
  const file = join(dataDir, SECRET_KEY_FILE);
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32)
    throw new VergeError('INTERNAL', `${file} does not hold a 32-byte key (base64); restore it from a backup`);
  return key;
}

export function secretBox(key: Buffer): SecretBox {
  return {
    seal(plain) {
      const nonce = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, nonce);
      const data = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return ['v1', nonce, c.getAuthTag(), data]
        .map((x) => (typeof x === 'string' ? x : x.toString('base64url')))
        .join(':');
    },
    open(sealed) {
      const [v, nonce, tag, data] = sealed.split(':');
      if (v !== 'v1' || nonce === undefined || tag === undefined || data === undefined) {
        throw new VergeError('INTERNAL', 'a sealed secret is malformed');
      }
      try {
        const d = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64url'));
        d.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([d.update(Buffer.from(data, 'base64url')), d.final()]).toString('utf8');
      } catch (e) {
        throw new VergeError('INTERNAL', 'a secret could not be decrypted: secret.key does not match the database', {
          cause: e,
        });
      }
    },
  };
}

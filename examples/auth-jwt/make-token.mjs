// Prints a demo RS256 token signed with demo-keys/private.pem (DEMO ONLY: never use these keys).
// Usage: node examples/auth-jwt/make-token.mjs [subject] [seconds-valid]
import { createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';

const key = readFileSync(new URL('./demo-keys/private.pem', import.meta.url));
const b64url = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const now = Math.floor(Date.now() / 1000);
const head = b64url({ alg: 'RS256', typ: 'JWT' });
const body = b64url({ sub: process.argv[2] ?? 'alice', iat: now, exp: now + Number(process.argv[3] ?? 3600) });
const sig = createSign('RSA-SHA256').update(`${head}.${body}`).sign(key).toString('base64url');
process.stdout.write(`${head}.${body}.${sig}\n`);

// Lambda@Edge, viewer-request: only viewers with a valid RS256 JSON Web Token get through.
// The token comes from `Authorization: Bearer <jwt>` or the `token` cookie; the signature is
// checked with the public key in JWT_PUBLIC_KEY (PEM), then `exp`, `nbf` and (optionally) `iss`.
// Anything else gets 401, generated here and never cached (spec 2.4).
//
// Lambda@Edge has no environment variables: on AWS, inline the key or read it from your bundle.
import { createVerify } from 'node:crypto';

const PUBLIC_KEY = process.env.JWT_PUBLIC_KEY;
const ISSUER = process.env.JWT_ISSUER; // optional

function base64urlDecode(s) {
  return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

function tokenFrom(headers) {
  const auth = headers.authorization && headers.authorization[0].value;
  if (auth && /^Bearer\s+/i.test(auth)) return auth.replace(/^Bearer\s+/i, '').trim();
  for (const line of headers.cookie || []) {
    for (const part of line.value.split(';')) {
      const [name, ...rest] = part.trim().split('=');
      if (name === 'token') return rest.join('=');
    }
  }
  return null;
}

/** The verified claims, or null with a reason logged. */
function verify(token) {
  const parts = token.split('.');
  if (parts.length !== 3) return fail('not a JWT');
  const [h, p, sig] = parts;
  let header, claims;
  try {
    header = JSON.parse(base64urlDecode(h).toString('utf8'));
    claims = JSON.parse(base64urlDecode(p).toString('utf8'));
  } catch {
    return fail('undecodable header or payload');
  }
  if (header.alg !== 'RS256') return fail(`algorithm ${header.alg} is not RS256`);
  const verifier = createVerify('RSA-SHA256');
  verifier.update(`${h}.${p}`);
  if (!verifier.verify(PUBLIC_KEY, base64urlDecode(sig))) return fail('bad signature');
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp === 'number' && now >= claims.exp) return fail('expired');
  if (typeof claims.nbf === 'number' && now < claims.nbf) return fail('not yet valid');
  if (ISSUER && claims.iss !== ISSUER) return fail(`issuer ${claims.iss}`);
  return claims;
}

function fail(reason) {
  console.log(`token rejected: ${reason}`);
  return null;
}

const unauthorized = {
  status: '401',
  statusDescription: 'Unauthorized',
  headers: {
    'www-authenticate': [{ key: 'WWW-Authenticate', value: 'Bearer realm="verge-example"' }],
    'content-type': [{ key: 'Content-Type', value: 'text/plain' }],
    'cache-control': [{ key: 'Cache-Control', value: 'no-store' }],
  },
  body: 'Unauthorized\n',
};

export const handler = async (event) => {
  const request = event.Records[0].cf.request;
  const token = tokenFrom(request.headers);
  const claims = token ? verify(token) : fail('no token');
  if (!claims) return unauthorized;
  // Tell the origin who this is (the origin request policy forwards this header).
  request.headers['x-verified-sub'] = [{ key: 'X-Verified-Sub', value: String(claims.sub) }];
  delete request.headers.authorization;
  return request;
};

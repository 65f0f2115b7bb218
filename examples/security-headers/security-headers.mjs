// Lambda@Edge, origin-response: add security headers to everything the origin sends, and drop
// headers that advertise the origin's software. Running at origin-response means the function
// runs once per origin fetch and the headers are cached with the object (spec 2.4), instead
// of running on every viewer response.

const SECURITY_HEADERS = {
  'strict-transport-security': ['Strict-Transport-Security', 'max-age=63072000; includeSubDomains; preload'],
  'content-security-policy': [
    'Content-Security-Policy',
    "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'self'",
  ],
  'x-frame-options': ['X-Frame-Options', 'DENY'],
  'x-content-type-options': ['X-Content-Type-Options', 'nosniff'],
  'referrer-policy': ['Referrer-Policy', 'strict-origin-when-cross-origin'],
  'permissions-policy': ['Permissions-Policy', 'camera=(), microphone=(), geolocation=()'],
};
const REMOVE = ['server', 'x-powered-by'];

export const handler = async (event) => {
  const response = event.Records[0].cf.response;
  const headers = response.headers;
  for (const [name, [key, value]] of Object.entries(SECURITY_HEADERS)) {
    headers[name] = [{ key, value }];
  }
  for (const name of REMOVE) delete headers[name];
  return response;
};

'use strict';
// viewer-response: add security headers the origin does not send, the classic Lambda@Edge
// example. `verge up` attaches it to the demo distribution's default behavior.
exports.handler = async (event) => {
  const response = event.Records[0].cf.response;
  const headers = response.headers;
  const set = (name, value) => {
    headers[name.toLowerCase()] = [{ key: name, value }];
  };
  set('Strict-Transport-Security', 'max-age=63072000; includeSubDomains; preload');
  set('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'");
  set('X-Content-Type-Options', 'nosniff');
  set('Referrer-Policy', 'same-origin');
  set('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
  set('X-Verge-Function', 'security-headers');
  return response;
};

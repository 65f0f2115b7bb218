'use strict';
// viewer-request: rewrite short links before the cache lookup, so `/p/42` is served (and
// cached) as `/products/42`. `verge up` attaches it to the demo distribution's default behavior.
exports.handler = async (event) => {
  const request = event.Records[0].cf.request;
  const m = /^\/p\/([A-Za-z0-9_-]+)$/.exec(request.uri);
  if (m) {
    console.log(`short link ${request.uri} -> /products/${m[1]}`);
    request.uri = `/products/${m[1]}`;
  }
  return request;
};

'use strict';
// Lambda@Edge, viewer-request: canonical, pretty URLs in front of a static site.
//  1. Legacy URLs get a 301 to their new home (LEGACY: exact paths; prefixes ending in '/').
//  2. `/x/index.html` gets a 301 to `/x/` (one URL per page).
//  3. A path without a file extension and without a trailing slash gets a 301 to `path/`.
//  4. `/x/` is served from `/x/index.html` (an internal rewrite the viewer never sees).
// The redirects are generated at viewer-request, so they are not cached and the origin is not
// asked; the rewrite happens before the cache lookup, so the cache key is the internal URI.

const LEGACY = {
  '/index.php': '/',
  '/about-us.html': '/about/',
  '/news/': '/blog/',
};

function redirect(location) {
  return {
    status: '301',
    statusDescription: 'Moved Permanently',
    headers: {
      location: [{ key: 'Location', value: location }],
      'cache-control': [{ key: 'Cache-Control', value: 'max-age=86400' }],
    },
  };
}

function legacyTarget(uri) {
  if (LEGACY[uri]) return LEGACY[uri];
  for (const [from, to] of Object.entries(LEGACY)) {
    if (from.endsWith('/') && uri.startsWith(from)) return to + uri.slice(from.length);
  }
  return null;
}

exports.handler = async (event) => {
  const request = event.Records[0].cf.request;
  const uri = request.uri;
  const qs = request.querystring ? '?' + request.querystring : '';

  const legacy = legacyTarget(uri);
  if (legacy) return redirect(legacy + qs);
  if (uri.endsWith('/index.html')) return redirect(uri.slice(0, -'index.html'.length) + qs);
  const last = uri.slice(uri.lastIndexOf('/') + 1);
  if (last !== '' && !last.includes('.')) return redirect(uri + '/' + qs);
  if (uri.endsWith('/')) request.uri = uri + 'index.html';
  return request;
};

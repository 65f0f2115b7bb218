'use strict';
// Lambda@Edge, viewer-request: turn the `tier` cookie into an `X-Tier` header that is in the
// cache key. Only three values exist (premium, standard, anonymous), so the cache keeps three
// variants per object instead of one per cookie jar, and the origin sees a clean header.

const TIERS = new Set(['premium', 'standard']);

function cookieValue(headers, name) {
  for (const line of headers.cookie || []) {
    for (const part of line.value.split(';')) {
      const i = part.indexOf('=');
      if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
    }
  }
  return undefined;
}

exports.handler = (event, context, callback) => {
  const request = event.Records[0].cf.request;
  const raw = (cookieValue(request.headers, 'tier') || '').toLowerCase();
  const tier = TIERS.has(raw) ? raw : 'anonymous';
  request.headers['x-tier'] = [{ key: 'X-Tier', value: tier }];
  callback(null, request);
};

'use strict';
// Lambda@Edge, viewer-request: normalize the query string before the cache lookup, so that
// `?Color=red&size=M&utm_source=news` and `?size=M&color=red` share one cache entry:
//   - parameter names are lower-cased (values are kept: they may be case-sensitive),
//   - tracking parameters (utm_*, gclid, fbclid, ...) are dropped,
//   - parameters are sorted by name (stable for repeated names).
// The origin receives the normalized query too.
const querystring = require('querystring');

const TRACKING = /^(utm_[a-z]+|gclid|fbclid|msclkid|mc_cid|mc_eid|_ga)$/;

exports.handler = async (event) => {
  const request = event.Records[0].cf.request;
  const params = querystring.parse(request.querystring);
  const pairs = [];
  for (const [name, value] of Object.entries(params)) {
    const lower = name.toLowerCase();
    if (TRACKING.test(lower)) continue;
    for (const v of Array.isArray(value) ? value : [value]) pairs.push([lower, v]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  request.querystring = pairs.map(([k, v]) => `${querystring.escape(k)}=${querystring.escape(v)}`).join('&');
  return request;
};

// CloudFront Function (cloudfront-js-2.0), viewer-request: redirects managed as data.
// Each key of the KeyValueStore is a path; its value is the target, either a URL/path
// (301) or JSON {"location": "...", "status": 302}. Unknown paths pass through untouched.
// Editing data/redirects.json changes redirects without touching the code.
import cf from 'cloudfront';

const kvs = cf.kvs();

async function handler(event) {
  const request = event.request;
  let target;
  try {
    target = await kvs.get(request.uri);
  } catch (e) {
    return request; // get() rejects for a missing key
  }
  let location = target;
  let status = 301;
  if (target.charAt(0) === '{') {
    const rule = JSON.parse(target);
    location = rule.location;
    status = rule.status || 301;
  }
  return {
    statusCode: status,
    statusDescription: status === 301 ? 'Moved Permanently' : 'Found',
    headers: { location: { value: location }, 'cache-control': { value: 'max-age=3600' } },
  };
}

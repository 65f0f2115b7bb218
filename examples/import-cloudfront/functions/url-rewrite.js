// CloudFront Function (cloudfront-js-2.0), viewer request: /about → /about/index.html.
function handler(event) {
  var request = event.request;
  if (request.uri.endsWith('/')) request.uri += 'index.html';
  else if (!request.uri.includes('.')) request.uri += '/index.html';
  return request;
}

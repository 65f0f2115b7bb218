// Lambda@Edge, viewer request on /api/*: requests without a bearer token get a 401.
exports.handler = async (event) => {
  const request = event.Records[0].cf.request;
  const auth = request.headers.authorization?.[0]?.value ?? '';
  if (!auth.startsWith('Bearer ')) {
    return {
      status: '401',
      statusDescription: 'Unauthorized',
      headers: { 'www-authenticate': [{ key: 'WWW-Authenticate', value: 'Bearer' }] },
    };
  }
  return request;
};

'use strict';
// Lambda@Edge, viewer-response: make the A/B group sticky. The viewer-request function put the
// group in `X-Ab-Group` and marked new viewers with `X-Ab-New`; those get a cookie for 30 days.

exports.handler = async (event) => {
  const { request, response } = event.Records[0].cf;
  const group = request.headers['x-ab-group'] && request.headers['x-ab-group'][0].value;
  if (group && request.headers['x-ab-new']) {
    const cookie = `ab-group=${group}; Path=/; Max-Age=2592000; SameSite=Lax`;
    response.headers['set-cookie'] = (response.headers['set-cookie'] || []).concat([
      { key: 'Set-Cookie', value: cookie },
    ]);
  }
  return response;
};

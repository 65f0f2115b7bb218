'use strict';
// Lambda@Edge, viewer-request: A/B test with a sticky, weighted split.
// A viewer with an `ab-group` cookie keeps their group; a new viewer is assigned one at random
// (B_PERCENT percent to B). The URI is rewritten to /a/... or /b/..., so each variant is its
// own cache entry. The group travels to the viewer-response function in `X-Ab-Group`, which
// sets the cookie for new viewers (`X-Ab-New`).
// B_PERCENT comes from the environment (a Verge extension); on AWS the default is used.

const B_PERCENT = Number(process.env.B_PERCENT || 25);
const COOKIE = 'ab-group';

function groupFromCookie(headers) {
  for (const line of headers.cookie || []) {
    for (const part of line.value.split(';')) {
      const [name, value] = part.trim().split('=');
      if (name === COOKIE && (value === 'a' || value === 'b')) return value;
    }
  }
  return null;
}

exports.handler = async (event) => {
  const request = event.Records[0].cf.request;
  let group = groupFromCookie(request.headers);
  if (!group) {
    group = Math.random() * 100 < B_PERCENT ? 'b' : 'a';
    request.headers['x-ab-new'] = [{ key: 'X-Ab-New', value: '1' }];
  }
  request.headers['x-ab-group'] = [{ key: 'X-Ab-Group', value: group }];
  request.uri = '/' + group + request.uri;
  return request;
};

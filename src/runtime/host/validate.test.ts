/**
 * @module runtime/host/validate.test
 * The validation checklist of spec 5.3, one test per item, through the FunctionRuntime with
 * real functions: each function mutates the event (or builds a result) and the test checks
 * CloudFront's message or the normalized result.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createFunctionRuntime } from './index.js';
import { sampleEvent } from './test-events.js';
import type { CfRequest, CfResponse, EventType, InvokeResult } from '../../shared/lambda-edge/index.js';

const rt = createFunctionRuntime();
after(() => rt.close());

let seq = 0;
/** Run `body` as an async handler with `cf` (the record), `req` and `res` in scope. */
async function result(
  eventType: EventType,
  body: string,
  patch?: Parameters<typeof sampleEvent>[1],
): Promise<InvokeResult> {
  seq++;
  const code = `exports.handler = async (event) => { const cf = event.Records[0].cf; const req = cf.request; const res = cf.response; ${body} };`;
  const fn = await rt.load(
    {
      id: `v${seq}`,
      name: `v${seq}`,
      version: '1',
      runtime: 'nodejs',
      handler: 'index.handler',
      code: { files: { 'index.js': code } },
    },
    { eventTypes: [eventType] },
  );
  try {
    return await rt.invoke(fn, { eventType, event: sampleEvent(eventType, patch) });
  } finally {
    await rt.unload(fn);
  }
}
function invalid(r: InvokeResult, message: string | RegExp): void {
  assert.equal(r.ok, false, 'expected a validation error');
  if (r.ok) return;
  assert.equal(r.code, 'LAMBDA_VALIDATION_ERROR');
  if (typeof message === 'string') assert.equal(r.message, message);
  else assert.match(r.message, message);
}
function valid(r: InvokeResult): CfRequest & CfResponse {
  assert.equal(r.ok, true, r.ok ? '' : r.message);
  return (r.ok ? r.value : {}) as CfRequest & CfResponse;
}
const BODY_MSG =
  'The Lambda function result failed validation: The body is not a string, is not an object, or exceeds the maximum size.';

describe('5.3 item 1: the result is a JSON object', () => {
  test('null, an array or a string fail with CloudFront text', async () => {
    for (const v of ['null', '[]', '"x"', '42']) {
      invalid(
        await result('viewer-request', `return ${v};`),
        'The Lambda function returned invalid JSON: The JSON output must be an object type.',
      );
    }
  });
  test('a BigInt makes the output unparsable', async () => {
    invalid(
      await result('viewer-request', `return { status: 200n };`),
      'The Lambda function returned invalid JSON: The json output is not parsable.',
    );
  });
});

describe('5.3 item 2: request vs response', () => {
  test('a request event result with status is a generated response; without, a request', async () => {
    const r = await result('viewer-request', `return { status: '403', statusDescription: 'Forbidden' };`);
    assert.ok(r.ok && r.kind === 'response');
    const q = await result('origin-request', `return req;`);
    assert.ok(q.ok && q.kind === 'request');
  });
  test('a response event must return a response', async () => {
    invalid(
      await result('origin-response', `return req;`),
      'The Lambda function returned an invalid request or response to CloudFront.',
    );
  });
});

describe('5.3 item 3: status', () => {
  test('200–599 as string or number, normalized to a string', async () => {
    assert.equal(valid(await result('origin-response', `res.status = 200; return res;`)).status, '200');
    invalid(
      await result('origin-response', `res.status = 700; return res;`),
      /status code must be a number between 200 and 599: 700/,
    );
    invalid(await result('viewer-request', `return { status: '199' };`), /between 200 and 599: 199/);
    invalid(await result('viewer-request', `return { status: 'abc' };`), /between 200 and 599: abc/);
  });
  test('204 with a body is rejected', async () => {
    invalid(await result('viewer-request', `return { status: '204', body: 'x' };`), /204 cannot have a body/);
  });
});

describe('5.3 item 4: headers', () => {
  test('a missing key is Title-Cased', async () => {
    const r = valid(await result('viewer-request', `req.headers['x-my-header'] = [{ value: 'v' }]; return req;`));
    assert.deepEqual(r.headers['x-my-header'], [{ key: 'X-My-Header', value: 'v' }]);
  });
  test("a key naming another header: the map name decides (AWS's override-a-response-header example)", async () => {
    const r = valid(
      await result(
        'origin-response',
        `res.headers['x-amz-meta-last-modified'] = [{ key: 'X-Amz-Meta-Last-Modified', value: 'Mon, 01 Dec 2025 10:00:00 GMT' }];
         res.headers['last-modified'] = [res.headers['x-amz-meta-last-modified'][0]];
         res.headers['x-b'] = [{ key: 'x-B', value: 'kept' }];
         return res;`,
      ),
    );
    assert.deepEqual(r.headers['last-modified'], [{ key: 'Last-Modified', value: 'Mon, 01 Dec 2025 10:00:00 GMT' }]);
    assert.deepEqual(r.headers['x-amz-meta-last-modified'], [
      { key: 'X-Amz-Meta-Last-Modified', value: 'Mon, 01 Dec 2025 10:00:00 GMT' },
    ]);
    assert.deepEqual(r.headers['x-b'], [{ key: 'x-B', value: 'kept' }], 'a matching key keeps its case');
    invalid(
      await result('viewer-request', `req.headers['x-k'] = [{ key: 5, value: 'v' }]; return req;`),
      /the key of a header entry is not a string, headerName : x-k\./,
    );
  });
  test('non-string values', async () => {
    invalid(
      await result('viewer-request', `req.headers['x-n'] = [{ value: 5 }]; return req;`),
      /the value of each header value must be of string or array of string type, headerName : x-n\./,
    );
    invalid(await result('viewer-request', `req.headers['x-n'] = 'v'; return req;`), /headerName : x-n\./);
  });
  test('upper-case map keys', async () => {
    invalid(
      await result('viewer-request', `req.headers['X-Up'] = [{ value: 'v' }]; return req;`),
      /must be lower case, headerName : X-Up\./,
    );
  });
  test('CR/LF in a value', async () => {
    invalid(
      await result(
        'viewer-request',
        `return { status: '302', headers: { location: [{ key: 'Location', value: '/a\\r\\nSet-Cookie: x=1' }] } };`,
      ),
      "The Lambda function result failed validation: the function returned an invalid header, invalid character : '%0D' in header value, headerName : Location.",
    );
  });
  test('disallowed headers (spec 3.1)', async () => {
    invalid(
      await result('viewer-request', `req.headers['x-cache'] = [{ value: 'Hit' }]; return req;`),
      /tried to add a disallowed header, headerName : X-Cache\./,
    );
    invalid(
      await result('origin-response', `res.headers['x-amz-cf-pop'] = [{ value: 'x' }]; return res;`),
      /disallowed header, headerName : X-Amz-Cf-Pop\./,
    );
  });
  test('read-only headers: add, change and delete (spec 3.2)', async () => {
    invalid(
      await result('viewer-request', `req.headers.host[0].value = 'evil.test'; return req;`),
      'The Lambda function result failed validation: the function tried to change read-only header, headerName : Host.',
    );
    invalid(
      await result('viewer-request', `req.headers['content-length'] = [{ value: '5' }]; return req;`),
      /tried to add read-only header, headerName : Content-Length\./,
    );
    invalid(
      await result('origin-response', `res.headers['transfer-encoding'] = [{ value: 'chunked' }]; return res;`, {
        response: { headers: { 'transfer-encoding': [{ key: 'Transfer-Encoding', value: 'chunked' }] } },
      }).then(async (r) => {
        assert.equal(r.ok, true, 'unchanged read-only header is fine');
        return result('origin-response', `delete res.headers['transfer-encoding']; return res;`, {
          response: { headers: { 'transfer-encoding': [{ key: 'Transfer-Encoding', value: 'chunked' }] } },
        });
      }),
      'The Lambda function result failed validation: the function tried to delete read-only header, headerName : Transfer-Encoding.',
    );
    invalid(
      await result('origin-request', `req.headers['accept-encoding'][0].value = 'gzip'; return req;`),
      /change read-only header, headerName : Accept-Encoding\./,
    );
    invalid(
      await result('viewer-response', `res.headers.warning = [{ value: '199 x' }]; return res;`),
      /add read-only header, headerName : Warning\./,
    );
  });
  test('Host is writable at origin-request', async () => {
    const r = valid(
      await result('origin-request', `req.headers.host = [{ key: 'Host', value: 'other.example.net' }]; return req;`),
    );
    assert.equal(r.headers.host![0]!.value, 'other.example.net');
  });
  test('CloudFront-Viewer-Country may not be added at viewer-request', async () => {
    invalid(
      await result('viewer-request', `req.headers['cloudfront-viewer-country'] = [{ value: 'DE' }]; return req;`),
      /add read-only header, headerName : CloudFront-Viewer-Country\./,
    );
    valid(await result('origin-request', `req.headers['cloudfront-viewer-country'] = [{ value: 'DE' }]; return req;`));
  });
});

describe('5.3 item 5: sizes', () => {
  test('generated response at viewer-request: 40 KB including headers', async () => {
    valid(await result('viewer-request', `return { status: '200', body: 'x'.repeat(40 * 1024 - 200) };`));
    invalid(
      await result(
        'viewer-request',
        `return { status: '200', headers: { 'x-pad': [{ value: 'y'.repeat(300) }] }, body: 'x'.repeat(40 * 1024 - 200) };`,
      ),
      BODY_MSG,
    );
  });
  test('generated response at origin-request: 1 MB', async () => {
    valid(await result('origin-request', `return { status: '200', body: 'x'.repeat(100 * 1024) };`));
    invalid(await result('origin-request', `return { status: '200', body: 'x'.repeat(1024 * 1024 + 1) };`), BODY_MSG);
  });
  test('includeBody replace limits (spec 1.9)', async () => {
    const withBody = {
      request: {
        method: 'POST',
        body: { inputTruncated: false, action: 'read-only' as const, encoding: 'base64' as const, data: 'aGk=' },
      },
    };
    const ok = valid(
      await result(
        'viewer-request',
        `req.body.action = 'replace'; req.body.encoding = 'text'; req.body.data = 'new'; return req;`,
        withBody,
      ),
    );
    assert.deepEqual(ok.body, { inputTruncated: false, action: 'replace', encoding: 'text', data: 'new' });
    invalid(
      await result(
        'viewer-request',
        `req.body.action = 'replace'; req.body.encoding = 'text'; req.body.data = 'x'.repeat(40 * 1024 + 1); return req;`,
        withBody,
      ),
      BODY_MSG,
    );
    const ro = valid(await result('viewer-request', `req.body.data = 'ignored'; return req;`, withBody));
    assert.equal(ro.body!.data, 'aGk=', 'read-only bodies ignore edits');
  });
});

describe('5.3 item 6: encodings', () => {
  test('bodyEncoding must be text or base64, and base64 must decode', async () => {
    const r = valid(
      await result(
        'viewer-request',
        `return { status: '200', bodyEncoding: 'base64', body: 'R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7' };`,
      ),
    );
    assert.equal(r.bodyEncoding, 'base64');
    invalid(await result('viewer-request', `return { status: '200', bodyEncoding: 'gzip', body: 'x' };`), BODY_MSG);
    invalid(
      await result('viewer-request', `return { status: '200', bodyEncoding: 'base64', body: 'not base64!' };`),
      BODY_MSG,
    );
    invalid(await result('viewer-request', `return { status: '200', body: { nested: true } };`), BODY_MSG);
  });
});

describe('5.3 item 7: origin object (spec 1.8)', () => {
  test('a complete custom origin is accepted; exactly one of custom/s3', async () => {
    const r = valid(
      await result(
        'origin-request',
        `req.origin.custom.domainName = 'other.example.org'; req.origin.custom.path = '/v2'; return req;`,
      ),
    );
    assert.equal('custom' in r.origin! && r.origin.custom.domainName, 'other.example.org');
    invalid(
      await result('origin-request', `req.origin.s3 = { domainName: 'b.s3.amazonaws.com' }; return req;`),
      /exactly one of custom or s3/,
    );
  });
  test('field ranges', async () => {
    invalid(
      await result('origin-request', `req.origin.custom.port = 8; return req;`),
      /port must be 80, 443, or 1024-65535/,
    );
    invalid(
      await result('origin-request', `req.origin.custom.readTimeout = 90; return req;`),
      /readTimeout must be between 4 and 60/,
    );
    invalid(
      await result('origin-request', `req.origin.custom.path = 'v2/'; return req;`),
      /path must be empty or start with \//,
    );
    invalid(
      await result('origin-request', `req.origin.custom.protocol = 'ftp'; return req;`),
      /protocol must be http or https/,
    );
    invalid(
      await result(
        'origin-request',
        `req.origin = { s3: { domainName: 'Bucket.s3.amazonaws.com', path: '', authMethod: 'none', customHeaders: {} } }; return req;`,
      ),
      /domainName is invalid/,
    );
  });
  test('custom headers: no disallowed names, not also in request.headers', async () => {
    const msg =
      'The Lambda function returned an invalid origin configuration: One or more HeaderName or HeaderValue values are invalid.';
    invalid(
      await result(
        'origin-request',
        `req.origin.custom.customHeaders = { 'x-forwarded-proto': [{ value: 'https' }] }; return req;`,
      ),
      msg,
    );
    invalid(
      await result('origin-request', `req.origin.custom.customHeaders = { accept: [{ value: 'x' }] }; return req;`),
      msg,
    );
  });
});

describe('5.3 item 8: URI and query string', () => {
  test('the URI starts with /', async () => {
    invalid(
      await result('viewer-request', `req.uri = 'index.html'; return req;`),
      /URI must be a string that starts with \//,
    );
  });
  test('URI + query string shorter than 8,192', async () => {
    valid(await result('viewer-request', `req.uri = '/' + 'a'.repeat(8000); req.querystring = ''; return req;`));
    invalid(
      await result(
        'viewer-request',
        `req.uri = '/' + 'a'.repeat(8000); req.querystring = 'q=' + 'b'.repeat(200); return req;`,
      ),
      /shorter than 8,192/,
    );
  });
  test('no space, control character or # in the query string', async () => {
    for (const qs of ['a=b c', 'a=b#frag', 'a=\\u0001']) {
      invalid(
        await result('viewer-request', `req.querystring = '${qs}'; return req;`),
        /querystring contains a space, a control character or #/,
      );
    }
  });
  test('method is read-only', async () => {
    invalid(await result('viewer-request', `req.method = 'DELETE'; return req;`), /read-only field method/);
  });
});

describe('5.3 item 9: viewer-response status is unchanged', () => {
  test('changing it fails; headers may change', async () => {
    invalid(
      await result('viewer-response', `res.status = '404'; return res;`),
      /change the status of a viewer-response/,
    );
    const r = valid(
      await result(
        'viewer-response',
        `res.headers['strict-transport-security'] = [{ value: 'max-age=63072000' }]; return res;`,
      ),
    );
    assert.equal(r.headers['strict-transport-security']![0]!.key, 'Strict-Transport-Security');
  });
});

/**
 * @module test/scenarios/aws-examples.test
 * Example functions AWS publishes for Lambda@Edge, run unchanged through a real edge and a
 * scripted origin, with the inputs and outcomes AWS's documentation gives (issue 13). The code
 * is copied as published; only the origin is ours.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { rawRequest } from '../harness/raw.js';
import { pythonSkipReason } from './python-kit.js';

const open: Array<{ close(): Promise<void> }> = [];
after(async () => {
  for (const x of open.reverse()) await x.close();
});

async function edgeWith(
  eventType: string,
  file: string,
  code: string,
  origin: ScriptedOrigin,
  fn: Record<string, unknown> = {},
): Promise<TestEdge> {
  const te = await startTestEdge({
    configs: [
      distribution(origin.port, {
        defaultCacheBehavior: {
          targetOriginId: 'o1',
          cachePolicy: 'CachingDisabled',
          functionAssociations: [{ eventType, function: { path: `./${file}`, ...fn } }],
        },
      }),
    ],
    files: { [file]: code },
  });
  open.push(te);
  return te;
}

// "Override a response header", Lambda@Edge example functions (Node.js), as published.
const OVERRIDE_HEADER_JS = `'use strict';

exports.handler = (event, context, callback) => {
    const response = event.Records[0].cf.response;
    const headers = response.headers;

    const headerNameSrc = 'X-Amz-Meta-Last-Modified';
    const headerNameDst = 'Last-Modified';

    if (headers[headerNameSrc.toLowerCase()]) {
        headers[headerNameDst.toLowerCase()] = [
            headers[headerNameSrc.toLowerCase()][0],
        ];
        console.log(\`Response header "\${headerNameDst}" was set to \` +
                    \`"\${headers[headerNameDst.toLowerCase()][0].value}"\`);
    }

    callback(null, response);
};
`;

describe('override a response header (origin-response)', () => {
  test('the x-amz-meta-last-modified entry, copied under last-modified, goes out as Last-Modified', async () => {
    const meta = 'Wed, 03 Dec 2025 08:00:00 GMT';
    const origin = await startOrigin({
      '*': {
        headers: { 'last-modified': 'Mon, 01 Dec 2025 10:00:00 GMT', 'x-amz-meta-last-modified': meta },
        body: 'object',
      },
    });
    open.push(origin);
    const te = await edgeWith('origin-response', 'override.js', OVERRIDE_HEADER_JS, origin);
    const r = await te.get('/object.txt');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text, 'object');
    assert.equal(r.header('last-modified'), meta);
    assert.equal(r.header('x-amz-meta-last-modified'), meta);
    const raw = await rawRequest(te.url, 'GET /object.txt HTTP/1.1\r\nHost: test.local\r\nConnection: close\r\n\r\n');
    assert.match(raw.raw, /\r\nLast-Modified: Wed, 03 Dec 2025/, 'on the wire under the map name, Title-Cased');
  });
});

// The same example in Python, as published (entry point lambda_handler, the console's default).
const OVERRIDE_HEADER_PY = `def lambda_handler(event, context):
    response = event["Records"][0]["cf"]["response"]
    headers = response["headers"]

    header_name_src = "X-Amz-Meta-Last-Modified"
    header_name_dst = "Last-Modified"

    if headers.get(header_name_src.lower(), None):
        headers[header_name_dst.lower()] = [headers[header_name_src.lower()][0]]
        print(f"Response header {header_name_dst.lower()} was set to {headers[header_name_src.lower()][0]}")

    return response
`;

describe('override a response header, Python (origin-response)', { skip: pythonSkipReason() }, () => {
  test('runs unchanged with no handler given; Last-Modified goes out with the copied value', async () => {
    const meta = 'Thu, 04 Dec 2025 09:30:00 GMT';
    const origin = await startOrigin({
      '*': {
        headers: { 'last-modified': 'Mon, 01 Dec 2025 10:00:00 GMT', 'x-amz-meta-last-modified': meta },
        body: 'object',
      },
    });
    open.push(origin);
    const te = await edgeWith('origin-response', 'override.py', OVERRIDE_HEADER_PY, origin);
    const r = await te.get('/object.txt');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.header('last-modified'), meta);
    assert.equal(r.header('x-amz-meta-last-modified'), meta);
  });
});

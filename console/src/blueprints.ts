/**
 * @module console/blueprints
 * Starting points for a new function: the repository's examples (examples/*), embedded at
 * build time as text, one per common Lambda@Edge use, plus an empty function per runtime.
 */
import geo from '../../examples/geo-targeting/geo-targeting.js?raw';
import auth from '../../examples/auth-jwt/auth.mjs?raw';
import personalize from '../../examples/personalization/personalize.js?raw';
import rewrite from '../../examples/seo-rewrite/seo-rewrite.js?raw';
import security from '../../examples/security-headers/security-headers.mjs?raw';
import normalize from '../../examples/cache-key-normalization/normalize-query.js?raw';
import abRequest from '../../examples/ab-testing/ab-request.js?raw';
import type { EventType, FunctionRuntime } from './api.js';

export interface Blueprint {
  id: string;
  title: string;
  summary: string;
  runtime: FunctionRuntime;
  filename: string;
  eventType: EventType;
  source: string;
  env?: Record<string, string>;
}

const NODE_SCRATCH = `// A Lambda@Edge function. The event's shape is in docs/lambda-edge-compat.md.
export const handler = async (event) => {
  const request = event.Records[0].cf.request;
  request.headers['x-hello'] = [{ key: 'X-Hello', value: 'from the edge' }];
  return request;
};
`;

const TS_SCRATCH = `// A Lambda@Edge function in TypeScript (compiled by the control plane).
type CfRequest = { uri: string; headers: Record<string, Array<{ key?: string; value: string }>> };
type CfEvent = { Records: Array<{ cf: { request: CfRequest } }> };

export const handler = async (event: CfEvent): Promise<CfRequest> => {
  const request = event.Records[0]!.cf.request;
  request.headers['x-hello'] = [{ key: 'X-Hello', value: 'from the edge' }];
  return request;
};
`;

const PY_SCRATCH = `# A Lambda@Edge function in Python.
def handler(event, context):
    request = event['Records'][0]['cf']['request']
    request['headers']['x-hello'] = [{'key': 'X-Hello', 'value': 'from the edge'}]
    return request
`;

const CFF_SCRATCH = `// A CloudFront Function (cloudfront-js-2.0): viewer events only.
async function handler(event) {
  var request = event.request;
  request.headers['x-hello'] = { value: 'from the edge' };
  return request;
}
`;

export const SCRATCH: Blueprint[] = [
  { id: 'node', title: 'Node.js (JavaScript)', summary: 'An empty function', runtime: 'nodejs', filename: 'index.mjs', eventType: 'viewer-request', source: NODE_SCRATCH },
  { id: 'ts', title: 'Node.js (TypeScript)', summary: 'An empty function', runtime: 'nodejs', filename: 'index.ts', eventType: 'viewer-request', source: TS_SCRATCH },
  { id: 'python', title: 'Python', summary: 'An empty function', runtime: 'python', filename: 'index.py', eventType: 'viewer-request', source: PY_SCRATCH },
  { id: 'cff', title: 'CloudFront Function', summary: 'An empty function', runtime: 'cloudfront-js-2.0', filename: 'index.js', eventType: 'viewer-request', source: CFF_SCRATCH },
]; // prettier-ignore

export const BLUEPRINTS: Blueprint[] = [
  { id: 'geo-targeting', title: 'Geo-targeting', summary: "Serve a country's edition or redirect by CloudFront-Viewer-Country", runtime: 'nodejs', filename: 'index.js', eventType: 'origin-request', source: geo },
  { id: 'authentication', title: 'Authentication', summary: 'Check a JWT (RS256) from a header or cookie', runtime: 'nodejs', filename: 'index.mjs', eventType: 'viewer-request', source: auth, env: { JWT_PUBLIC_KEY: '' } },
  { id: 'personalization', title: 'Personalization', summary: 'Turn a cookie into a cache-key header with few values', runtime: 'nodejs', filename: 'index.js', eventType: 'viewer-request', source: personalize },
  { id: 'url-rewriting', title: 'URL rewriting', summary: 'Legacy redirects and pretty URLs', runtime: 'nodejs', filename: 'index.js', eventType: 'viewer-request', source: rewrite },
  { id: 'security-headers', title: 'Security headers', summary: 'Add HSTS, CSP and friends; hide server headers', runtime: 'nodejs', filename: 'index.mjs', eventType: 'origin-response', source: security },
  { id: 'cache-key-normalization', title: 'Cache-key normalization', summary: 'Sort and filter the query string before the cache lookup', runtime: 'nodejs', filename: 'index.js', eventType: 'viewer-request', source: normalize },
  { id: 'ab-testing', title: 'A/B testing', summary: 'A sticky, weighted split by cookie', runtime: 'nodejs', filename: 'index.js', eventType: 'viewer-request', source: abRequest, env: { B_PERCENT: '25' } },
]; // prettier-ignore

export function blueprintById(id: string): Blueprint | undefined {
  return [...SCRATCH, ...BLUEPRINTS].find((b) => b.id === id);
}

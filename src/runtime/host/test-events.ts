/**
 * @module runtime/host/test-events
 * Sample Lambda@Edge events for the runtime's tests and benchmarks (shapes of spec 1.2–1.5).
 */
import type { CfEvent, CfRequest, CfResponse, EventType } from '../../shared/lambda-edge/index.js';

export const REQUEST_ID = 'Xq3vN0cB8a1Yw9pLr2TtHs7dKf5Jm4GzUe6Vb0Ni1Op2Qc3Rd4Se5w==';

export function sampleRequest(eventType: EventType): CfRequest {
  const viewer = eventType.startsWith('viewer');
  const req: CfRequest = {
    clientIp: '198.51.100.23',
    method: 'GET',
    uri: '/index.html',
    querystring: 'lang=en&tag=red&tag=blue',
    headers: {
      host: [{ key: 'Host', value: viewer ? 'www.example.net' : 'origin.example.net' }],
      'user-agent': [{ key: 'User-Agent', value: viewer ? 'Mozilla/5.0' : 'Amazon CloudFront' }],
      accept: [{ key: 'Accept', value: 'text/html' }],
      cookie: [
        { key: 'Cookie', value: 'sid=abc123; theme=dark' },
        { key: 'Cookie', value: 'ab=B' },
      ],
    },
  };
  if (!viewer) {
    req.headers.via = [{ key: 'Via', value: '2.0 abc.cloudfront.net (CloudFront)' }];
    req.headers['accept-encoding'] = [{ key: 'Accept-Encoding', value: 'br,gzip' }];
    req.origin = {
      custom: {
        domainName: 'origin.example.net',
        port: 443,
        protocol: 'https',
        path: '',
        sslProtocols: ['TLSv1.2'],
        readTimeout: 30,
        keepaliveTimeout: 5,
        customHeaders: {},
      },
    };
  }
  return req;
}

export function sampleResponse(): CfResponse {
  return {
    status: '200',
    statusDescription: 'OK',
    headers: {
      'content-type': [{ key: 'Content-Type', value: 'text/html' }],
      'content-length': [{ key: 'Content-Length', value: '5120' }],
      'set-cookie': [{ key: 'Set-Cookie', value: 'sid=abc123; Secure; HttpOnly; Path=/' }],
    },
  };
}

export function sampleEvent(
  eventType: EventType,
  patch: { request?: Partial<CfRequest>; response?: Partial<CfResponse> } = {},
): CfEvent {
  const response = eventType.endsWith('response') ? { ...sampleResponse(), ...patch.response } : undefined;
  return {
    Records: [
      {
        cf: {
          config: {
            distributionDomainName: 'd3exmpl7k2zq9.cloudfront.net',
            distributionId: 'E1ABCDEXAMPLE2',
            eventType,
            requestId: REQUEST_ID,
          },
          request: { ...sampleRequest(eventType), ...patch.request },
          ...(response ? { response } : {}),
        },
      },
    ],
  };
}

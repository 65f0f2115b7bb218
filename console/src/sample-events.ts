/**
 * @module console/sample-events
 * A starting event for the Test tab, one per event type (spec 1.2–1.5): the request as the
 * function would see it at that point, and a response for the response events. Users edit the
 * JSON freely; the control plane runs it with the same engine as `verge invoke`.
 */
import type { EventType } from './api.js';

const h = (key: string, value: string) => [{ key, value }];

export function sampleEvent(eventType: EventType, uri = '/index.html'): unknown {
  const viewer = eventType.startsWith('viewer');
  const request: Record<string, unknown> = {
    clientIp: '203.0.113.10',
    method: 'GET',
    uri,
    querystring: '',
    headers: {
      host: h('Host', viewer ? 'd111111abcdef8.cloudfront.net' : 'origin.example.com'),
      'user-agent': h('User-Agent', viewer ? 'Mozilla/5.0' : 'Amazon CloudFront'),
      ...(viewer
        ? {}
        : { via: h('Via', '2.0 verge (Verge)'), 'x-forwarded-for': h('X-Forwarded-For', '203.0.113.10') }),
    },
  };
  if (!viewer) {
    request.origin = {
      custom: { domainName: 'origin.example.com', port: 443, protocol: 'https', path: '', sslProtocols: ['TLSv1.2'], readTimeout: 30, keepaliveTimeout: 5, customHeaders: {} },
    }; // prettier-ignore
  }
  const cf: Record<string, unknown> = {
    config: { distributionDomainName: 'd111111abcdef8.cloudfront.net', distributionId: 'EDFDVBD6EXAMPLE', eventType, requestId: 'sample-request-id' },
    request,
  }; // prettier-ignore
  if (eventType.endsWith('response')) {
    cf.response = {
      status: '200',
      statusDescription: 'OK',
      headers: { 'content-type': h('Content-Type', 'text/html'), 'cache-control': h('Cache-Control', 'max-age=60') },
    };
  }
  return { Records: [{ cf }] };
}

export const EVENT_TYPES: EventType[] = ['viewer-request', 'origin-request', 'origin-response', 'viewer-response'];

/**
 * @module shared/lambda-edge/events
 * CloudFront-shaped records (spec section 1 and Appendix A). The edge's internal request and
 * response model uses these shapes, so handing an event to a function is a copy, not a
 * conversion. CloudFront Functions' shape (spec 8.2) is produced by an adapter at the function
 * boundary.
 */

export const EVENT_TYPES = ['viewer-request', 'origin-request', 'origin-response', 'viewer-response'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export function isEventType(s: unknown): s is EventType {
  return typeof s === 'string' && (EVENT_TYPES as readonly string[]).includes(s);
}

export interface CfHeaderEntry {
  key?: string;
  value: string;
}
export type CfHeaderList = CfHeaderEntry[];
/** Lower-case header name to the lines the peer sent, in order, with the peer's spelling in `key`. */
export type CfHeaders = Record<string, CfHeaderList>;

export interface CfConfig {
  distributionDomainName: string;
  distributionId: string;
  eventType: EventType;
  requestId: string;
}

export interface CfCustomOrigin {
  domainName: string;
  path: string;
  port: number;
  protocol: 'http' | 'https';
  readTimeout: number;
  keepaliveTimeout: number;
  sslProtocols: Array<'TLSv1.2' | 'TLSv1.1' | 'TLSv1' | 'SSLv3'>;
  customHeaders: CfHeaders;
}

export interface CfS3Origin {
  domainName: string;
  path: string;
  region: string;
  authMethod: 'origin-access-identity' | 'none';
  customHeaders: CfHeaders;
}

export type CfOrigin = { custom: CfCustomOrigin } | { s3: CfS3Origin };

export interface CfBody {
  inputTruncated: boolean;
  action: 'read-only' | 'replace';
  encoding: 'base64' | 'text';
  data: string;
}

export interface CfRequest {
  clientIp: string;
  method: string;
  uri: string;
  querystring: string;
  headers: CfHeaders;
  body?: CfBody;
  origin?: CfOrigin;
}

export interface CfResponse {
  status: string;
  statusDescription?: string;
  headers: CfHeaders;
  body?: string;
  bodyEncoding?: 'text' | 'base64';
}

export interface CfRecord {
  cf: { config: CfConfig; request: CfRequest; response?: CfResponse };
}

export interface CfEvent {
  Records: [CfRecord];
}

// CloudFront Functions (spec 8.2)
export interface CffValue {
  value: string;
  multiValue?: Array<{ value: string }>;
}
export interface CffCookie {
  value: string;
  attributes?: string;
  multiValue?: Array<{ value: string; attributes?: string }>;
}
export interface CffRequest {
  method: string;
  uri: string;
  querystring: Record<string, CffValue> | string;
  headers: Record<string, CffValue>;
  cookies: Record<string, CffValue>;
}
export interface CffResponse {
  statusCode: number;
  statusDescription?: string;
  headers: Record<string, CffValue>;
  cookies: Record<string, CffCookie>;
  body?: string | { encoding: 'text' | 'base64'; data: string };
}
export interface CffEvent {
  version: '1.0';
  context: {
    distributionDomainName?: string;
    distributionId: string;
    eventType: 'viewer-request' | 'viewer-response';
    requestId: string;
  };
  viewer: { ip: string };
  request: CffRequest;
  response?: CffResponse;
}

/** Standard reason phrases, for statusDescription and generated responses. */
export const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  206: 'Partial Content',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

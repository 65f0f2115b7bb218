/**
 * @module edge/origin/request-builder
 * Builds the origin-facing request from the viewer's (spec 0 step 7, 1.3, 7.3, 7.12): the
 * post-policy request that origin-request functions see, with its `origin` member; and turns the
 * (possibly function-edited) result back into what the origin client sends (spec 1.8: a function
 * may repoint the request at another custom origin or bucket).
 *
 * Decisions (spec 3.3 says CloudFront-* headers are added only when a policy names them):
 * - a viewer-sent header whose name starts with `cloudfront-` is never forwarded as a viewer
 *   header, so viewers cannot spoof geo or device headers; the edge-computed value is used when a
 *   policy names the header, falling back to the request's own value (a function may have set it);
 * - `Via` and `X-Forwarded-For` are chain headers: the edge always appends to the viewer's value;
 * - headers the viewer's `Connection` names are hop-by-hop (RFC 9110 7.6.1) and not forwarded;
 * - `Content-Length` stays with a body (framing; read-only at origin-request, spec 3.2);
 * - `X-Amz-Cf-Id` is not added here because functions must not see it (spec 3.1); the pipeline
 *   may add it to the outgoing headers.
 */
import { VergeError } from '../../shared/errors.js';
import type { CfHeaderList, CfHeaders, CfOrigin, CfRequest } from '../../shared/lambda-edge/index.js';
import { HOP_BY_HOP, cloneHeaders, isDisallowedHeader, titleCase } from '../../shared/lambda-edge/index.js';
import type { CachePolicyPlan, OriginPlan, OriginRequestPolicyPlan } from '../config/plan.js';
import { cloudFrontHeaderForwarded, reduceCookies, reduceQuery, viewerHeaderForwarded } from './forwarding.js';
import type { OriginRequest, StreamedRequestBody } from './types.js';

/** The User-Agent origins see unless a policy forwards the viewer's (CloudFront sends `Amazon CloudFront`). */
export const ORIGIN_USER_AGENT = 'Verge';
/** The `region` shown in an S3-style origin member for a directory bucket. */
export const BUCKET_REGION = 'local';

export interface BuildOriginRequestInput {
  /** The viewer request after the viewer-request function. */
  viewer: CfRequest;
  cachePolicy: CachePolicyPlan;
  originRequestPolicy: OriginRequestPolicyPlan | null;
  origin: OriginPlan;
  /** Normalized by the cache key builder; undefined = the header is not in play (spec 7.2). */
  acceptEncoding: string | undefined;
  /** CloudFront-Viewer-*, CloudFront-Is-*-Viewer, ... computed by the edge; lower-case keys. */
  cloudFrontHeaders: CfHeaders;
  /** The viewer's HTTP version (`1.1`, `2.0`): origin requests carry it in Via (spec 7.10). */
  viewerHttpVersion: string;
  /** This PoP's Via entry, e.g. `1.1 <pop-id>.verge (Verge)`; its version is replaced by the viewer's. */
  viaToken: string;
}

/** Headers the builder sets itself or that have their own forwarding rules. */
const SPECIAL = new Set([
  'host',
  'user-agent',
  'via',
  'x-forwarded-for',
  'accept-encoding',
  'cookie',
  'content-length',
]);

function copyList(list: CfHeaderList, lower: string): CfHeaderList {
  return list.map((e) => ({ key: e.key ?? titleCase(lower), value: e.value }));
}

function keyOf(h: CfHeaders, lower: string, fallback: string): string {
  return h[lower]?.[0]?.key ?? fallback;
}

function joined(h: CfHeaders, lower: string): string | undefined {
  const list = h[lower];
  return list && list.length > 0 ? list.map((e) => e.value).join(', ') : undefined;
}

/** `1.1 pop.verge (Verge)` with the viewer's version in front (`2.0 pop.verge (Verge)` for HTTP/2). */
export function viaValue(viaToken: string, viewerHttpVersion: string): string {
  const version = /^\d$/.test(viewerHttpVersion) ? `${viewerHttpVersion}.0` : viewerHttpVersion;
  const m = /^\d(?:\.\d)?\s+(.*)$/.exec(viaToken);
  return m ? `${version} ${m[1]}` : `${version} ${viaToken}`;
}

/** Origin custom headers as a header map (spec 1.3: they live in `origin.*.customHeaders`). */
export function customHeaderMap(pairs: ReadonlyArray<readonly [string, string]>): CfHeaders {
  const h: CfHeaders = {};
  for (const [name, value] of pairs) (h[name.toLowerCase()] ??= []).push({ key: name, value });
  return h;
}

function originMember(o: OriginPlan): NonNullable<CfRequest['origin']> {
  const customHeaders = customHeaderMap(o.customHeaders);
  if (o.kind === 'bucket') {
    return {
      s3: { domainName: o.domainName, path: o.originPath, region: BUCKET_REGION, authMethod: 'none', customHeaders },
    };
  }
  return {
    custom: {
      domainName: o.domainName,
      port: o.port,
      protocol: o.protocol,
      path: o.originPath,
      sslProtocols: ['TLSv1.2'],
      readTimeout: o.readTimeoutMs / 1000,
      keepaliveTimeout: o.keepaliveTimeoutMs / 1000,
      customHeaders,
    },
  };
}

/** The viewer headers that survive the policies, in the viewer's order (spec 7.3). */
function forwardedViewerHeaders(input: BuildOriginRequestInput, out: CfHeaders): void {
  const { viewer, cachePolicy: cp, originRequestPolicy: orp } = input;
  const named = connectionOptions(viewer.headers);
  for (const lower of Object.keys(viewer.headers)) {
    if (SPECIAL.has(lower) || HOP_BY_HOP.has(lower) || isDisallowedHeader(lower)) continue;
    if (named?.has(lower)) continue;
    if (lower.startsWith('cloudfront-')) continue; // added below, from the edge's values
    if (viewerHeaderForwarded(lower, cp, orp)) out[lower] = copyList(viewer.headers[lower]!, lower);
  }
}

/**
 * The header names the viewer's `Connection` lists: they describe the viewer's connection to
 * this edge and are removed before forwarding (RFC 9110 7.6.1). Only viewer headers are
 * affected; the headers the edge sets itself (Host, Via, X-Forwarded-For) are never dropped.
 */
function connectionOptions(h: CfHeaders): Set<string> | null {
  const list = h['connection'];
  if (!list || list.length === 0) return null;
  const names = new Set<string>();
  for (const e of list) for (const n of e.value.split(',')) if (n.trim()) names.add(n.trim().toLowerCase());
  return names;
}

function cloudFrontHeaders(input: BuildOriginRequestInput, out: CfHeaders): void {
  const { viewer, cloudFrontHeaders: computed, cachePolicy: cp, originRequestPolicy: orp } = input;
  const names = new Set([
    ...Object.keys(computed),
    ...Object.keys(viewer.headers).filter((n) => n.startsWith('cloudfront-')),
  ]);
  for (const lower of names) {
    if (!cloudFrontHeaderForwarded(lower, cp, orp)) continue;
    // Spec 3.3: when the edge adds a header the viewer also sent, the edge's value wins.
    const list = computed[lower] ?? viewer.headers[lower];
    if (list && list.length > 0) out[lower] = copyList(list, lower);
  }
}

/** Accept-Encoding per spec 7.2's normalization table. */
function acceptEncoding(input: BuildOriginRequestInput, out: CfHeaders): void {
  const { viewer, cachePolicy: cp, originRequestPolicy: orp } = input;
  const key = keyOf(viewer.headers, 'accept-encoding', 'Accept-Encoding');
  if (cp.enableAcceptEncodingGzip || cp.enableAcceptEncodingBrotli) {
    out['accept-encoding'] = [{ key, value: input.acceptEncoding || 'identity' }];
  } else if (input.acceptEncoding !== undefined) {
    out['accept-encoding'] = [{ key, value: input.acceptEncoding }];
  } else if (viewer.headers['accept-encoding'] && viewerHeaderForwarded('accept-encoding', cp, orp)) {
    out['accept-encoding'] = copyList(viewer.headers['accept-encoding'], 'accept-encoding');
  }
}

/**
 * The origin-request shaped request (spec 1.3) for one origin, with its `origin` member.
 *
 * @example
 * const cf = buildOriginRequest({ viewer, cachePolicy, originRequestPolicy: null, origin,
 *   acceptEncoding: 'br,gzip', cloudFrontHeaders: {}, viewerHttpVersion: '1.1', viaToken: '1.1 p1.verge (Verge)' });
 */
export function buildOriginRequest(input: BuildOriginRequestInput): CfRequest {
  const { viewer, cachePolicy: cp, originRequestPolicy: orp, origin } = input;
  const vh = viewer.headers;
  const out: CfHeaders = {};
  out['host'] =
    vh['host'] && viewerHeaderForwarded('host', cp, orp)
      ? copyList(vh['host'].slice(0, 1), 'host')
      : [{ key: keyOf(vh, 'host', 'Host'), value: origin.domainName }];
  out['user-agent'] =
    vh['user-agent'] && viewerHeaderForwarded('user-agent', cp, orp)
      ? copyList(vh['user-agent'], 'user-agent')
      : [{ key: keyOf(vh, 'user-agent', 'User-Agent'), value: ORIGIN_USER_AGENT }];
  const via = viaValue(input.viaToken, input.viewerHttpVersion);
  const prevVia = joined(vh, 'via');
  out['via'] = [{ key: keyOf(vh, 'via', 'Via'), value: prevVia ? `${prevVia}, ${via}` : via }];
  // Spec 7.12: the viewer IP is appended to any incoming X-Forwarded-For.
  const prevXff = joined(vh, 'x-forwarded-for');
  const xff = prevXff ? `${prevXff}, ${viewer.clientIp}` : viewer.clientIp;
  out['x-forwarded-for'] = [{ key: keyOf(vh, 'x-forwarded-for', 'X-Forwarded-For'), value: xff }];
  acceptEncoding(input, out);
  forwardedViewerHeaders(input, out);
  const cookie = reduceCookies(
    (vh['cookie'] ?? []).map((e) => e.value),
    cp.cookies,
    orp?.cookies,
  );
  if (cookie !== undefined) out['cookie'] = [{ key: keyOf(vh, 'cookie', 'Cookie'), value: cookie }];
  if (vh['content-length']) out['content-length'] = copyList(vh['content-length'].slice(0, 1), 'content-length');
  cloudFrontHeaders(input, out);
  const req: CfRequest = {
    clientIp: viewer.clientIp,
    method: viewer.method,
    uri: viewer.uri,
    querystring: reduceQuery(viewer.querystring, cp.queryStrings, orp?.queryStrings),
    headers: out,
    origin: originMember(origin),
  };
  if (viewer.body) req.body = { ...viewer.body };
  return req;
}

function headerPairs(h: CfHeaders): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const lower of Object.keys(h)) for (const e of h[lower]!) out.push([e.key ?? titleCase(lower), e.value]);
  return out;
}

function seconds(v: unknown, fallbackMs: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v * 1000 : fallbackMs;
}

/** Finds the directory of a bucket origin by its domain name (e.g. another origin of the distribution). */
export type BucketResolver = (domainName: string) => string | undefined;

/**
 * The OriginPlan a (possibly function-edited) `origin` member points at (spec 1.8). Settings the
 * member cannot express (connection attempts, connect timeout, id) come from `base`. A bucket
 * other than the base's needs `resolveBucket`; an unknown bucket domain fails like a DNS miss.
 */
export function targetOrigin(o: CfOrigin | undefined, base: OriginPlan, resolveBucket?: BucketResolver): OriginPlan {
  if (!o) return base;
  if ('custom' in o) {
    const c = o.custom;
    const { bucketPath: _dropped, ...rest } = base;
    return {
      ...rest,
      kind: 'custom',
      domainName: c.domainName,
      port: c.port,
      protocol: c.protocol,
      originPath: c.path ?? '',
      readTimeoutMs: seconds(c.readTimeout, base.readTimeoutMs),
      keepaliveTimeoutMs: seconds(c.keepaliveTimeout, base.keepaliveTimeoutMs),
      customHeaders: headerPairs(c.customHeaders ?? {}),
    };
  }
  const s3 = o.s3;
  const bucketPath =
    base.kind === 'bucket' && s3.domainName === base.domainName ? base.bucketPath : resolveBucket?.(s3.domainName);
  if (!bucketPath) {
    throw new VergeError('ORIGIN_DNS_ERROR', `no bucket answers for ${s3.domainName}`, {
      details: { domainName: s3.domainName },
    });
  }
  return {
    ...base,
    kind: 'bucket',
    domainName: s3.domainName,
    originPath: s3.path ?? '',
    customHeaders: headerPairs(s3.customHeaders ?? {}),
    bucketPath,
  };
}

/** Methods whose empty body is no body at all (no Content-Length sent). */
const NO_PAYLOAD = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE']);

/**
 * Turn the origin-request (after any origin-request function) into what `OriginClient.fetch`
 * takes: the target OriginPlan (spec 1.8: the function may have changed `origin`) and the
 * request, with the origin's custom headers added (they replace same-named request headers) and
 * Content-Length matching the body actually sent.
 *
 * `body` is the request body to send (the viewer's, or a function's replacement that the caller
 * already applied); a `cf.body` with `action: 'replace'` still wins, per spec 1.9.
 *
 * @example
 * const { origin, req } = toOriginRequest(cfAfterFunction, viewerBody, behaviorOrigin);
 * const res = await client.fetch(origin, req);
 */
export function toOriginRequest(
  cf: CfRequest,
  body: Buffer | StreamedRequestBody | undefined,
  base: OriginPlan,
  resolveBucket?: BucketResolver,
): { origin: OriginPlan; req: OriginRequest } {
  const origin = targetOrigin(cf.origin, base, resolveBucket);
  const headers = cloneHeaders(cf.headers);
  for (const [name] of origin.customHeaders) delete headers[name.toLowerCase()];
  for (const [name, value] of origin.customHeaders) (headers[name.toLowerCase()] ??= []).push({ key: name, value });
  let payload = body;
  if (cf.body?.action === 'replace')
    payload = Buffer.from(cf.body.data, cf.body.encoding === 'text' ? 'utf8' : 'base64');
  if (Buffer.isBuffer(payload) && payload.length === 0 && NO_PAYLOAD.has(cf.method)) payload = undefined;
  // A streamed body of unknown length goes chunked: no Content-Length.
  const length = payload === undefined ? null : Buffer.isBuffer(payload) ? payload.length : payload.length;
  if (length !== null) {
    headers['content-length'] = [{ key: keyOf(headers, 'content-length', 'Content-Length'), value: String(length) }];
  } else {
    delete headers['content-length'];
  }
  const req: OriginRequest = { method: cf.method, uri: cf.uri, querystring: cf.querystring, headers };
  if (payload) req.body = payload;
  return { origin, req };
}

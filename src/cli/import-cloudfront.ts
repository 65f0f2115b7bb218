/**
 * @module cli/import-cloudfront
 * `aws cloudfront get-distribution-config` output (or `get-distribution`'s, or a bare
 * DistributionConfig) → one Verge distribution config, plus the list of what could not be
 * mapped, each by its JSON path in the input and saying why. Pure: the command
 * (import-command.ts) reads the files, finds function packages and validates the result.
 *
 * Policies: managed ones by id → their names; custom ones from the `get-*-policy` documents
 * the caller found; legacy ForwardedValues → an inline cache policy. Functions: Lambda@Edge ARNs
 * (`...:function:NAME:VERSION`) and CloudFront Functions ARNs (`...:function/NAME`) → the
 * package the caller found for NAME.
 */
import {
  managedCachePolicy,
  managedOriginRequestPolicy,
  managedResponseHeadersPolicy,
} from '../shared/config/managed-policies.js';
import { oacEnvNames } from '../shared/config/origin-access.js';
import type {
  CacheBehaviorConfig,
  CustomErrorResponseConfig,
  DefaultCacheBehaviorConfig,
  DistributionConfig,
  FunctionAssociationConfig,
  FunctionConfig,
  OriginConfig,
  OriginGroupConfig,
} from '../shared/config/types.js';
import type { EventType } from '../shared/lambda-edge/index.js';
import {
  cachePolicyFrom,
  items,
  legacyCachePolicy,
  originRequestPolicyFrom,
  responseHeadersPolicyFrom,
  type Aws,
  type Report,
} from './import-cloudfront-policies.js';

export interface Unmapped {
  path: string;
  message: string;
}

/** A function package the caller found for a name in the ARNs. */
export interface FoundFunction {
  /** As the config should name it (relative to the config file). */
  path: string;
  runtime?: FunctionConfig['runtime'];
  handler?: string;
}

export interface ImportOptions {
  id: string;
  /** Custom policies by id: the documents `aws cloudfront get-*-policy --id ID` print. */
  policies?: ReadonlyMap<string, Aws>;
  /** The package for a function name, or undefined when there is none. */
  findFunction?: (name: string, kind: 'lambda' | 'cloudfront-function') => FoundFunction | undefined;
}

export interface ImportResult {
  config: DistributionConfig;
  unmapped: Unmapped[];
  /** Function names the ARNs named, for the report. */
  functions: Array<{ name: string; kind: 'lambda' | 'cloudfront-function'; arn: string; found: boolean }>;
}

const EVENTS: readonly EventType[] = ['viewer-request', 'origin-request', 'origin-response', 'viewer-response'];

/** The DistributionConfig and where it sits in the input document. */
function distributionConfig(input: Aws): { dc: Aws; base: string } {
  if (input.DistributionConfig) return { dc: input.DistributionConfig, base: '$.DistributionConfig' };
  if (input.Distribution?.DistributionConfig)
    return { dc: input.Distribution.DistributionConfig, base: '$.Distribution.DistributionConfig' };
  if (input.Origins && input.DefaultCacheBehavior) return { dc: input, base: '$' };
  throw new Error(
    'not a CloudFront distribution config: expected the output of `aws cloudfront get-distribution-config --id ID` ({"ETag", "DistributionConfig": {...}})',
  );
}

export function importCloudFront(input: unknown, o: ImportOptions): ImportResult {
  if (typeof input !== 'object' || input === null) throw new Error('not a CloudFront distribution config: not an object'); // prettier-ignore
  const { dc, base } = distributionConfig(input as Aws);
  const unmapped: Unmapped[] = [];
  const report: Report = (path, message) => unmapped.push({ path, message });
  const functions: ImportResult['functions'] = [];
  const ctx = { o, report, functions };

  const config: DistributionConfig = {
    id: o.id,
    ...(items<string>(dc.Aliases).length ? { aliases: items<string>(dc.Aliases) } : {}),
    ...(dc.Enabled === false ? { enabled: false } : {}),
    ...(dc.Comment ? { comment: String(dc.Comment).slice(0, 128) } : {}),
    origins: items(dc.Origins).map((x, i) => origin(x, `${base}.Origins.Items[${i}]`, report)),
    defaultCacheBehavior: behavior(dc.DefaultCacheBehavior ?? {}, `${base}.DefaultCacheBehavior`, ctx),
  };
  const groups = items(dc.OriginGroups).map((g, i) => originGroup(g, `${base}.OriginGroups.Items[${i}]`, report));
  if (groups.length) config.originGroups = groups;
  const behaviors = items(dc.CacheBehaviors).map((b, i) => ({
    pathPattern: String(b.PathPattern),
    ...behavior(b, `${base}.CacheBehaviors.Items[${i}]`, ctx),
  })) as CacheBehaviorConfig[];
  if (behaviors.length) config.cacheBehaviors = behaviors;
  const errors = items(dc.CustomErrorResponses).map(errorResponse);
  if (errors.length) config.customErrorResponses = errors;
  if (dc.DefaultRootObject) config.defaultRootObject = String(dc.DefaultRootObject);
  const geo: Aws | undefined = dc.Restrictions?.GeoRestriction;
  if (geo && geo.RestrictionType && geo.RestrictionType !== 'none')
    config.restrictions = {
      geoRestriction: {
        restrictionType: geo.RestrictionType === 'whitelist' ? 'allowlist' : 'blocklist',
        locations: items<string>(geo),
      },
    };
  distributionLeftovers(dc, base, report);
  return { config, unmapped, functions };
}

function distributionLeftovers(dc: Aws, base: string, report: Report): void {
  if (dc.Logging?.Enabled)
    report(`${base}.Logging`, 'standard logs to S3: Verge PoPs send access logs to the control plane (`verge logs`), or --access-log FILE on `verge edge`'); // prettier-ignore
  const cert: Aws = dc.ViewerCertificate ?? {};
  if (cert.ACMCertificateArn || cert.IAMCertificateId)
    report(`${base}.ViewerCertificate`, 'the certificate stays in AWS: give the PoPs its PEM files with `verge edge --tls-cert FILE --tls-key FILE`'); // prettier-ignore
  if (dc.WebACLId) report(`${base}.WebACLId`, 'AWS WAF has no Verge equivalent');
  if (dc.ContinuousDeploymentPolicyId || dc.Staging)
    report(`${base}.ContinuousDeploymentPolicyId`, 'continuous deployment (staging distributions) has no Verge equivalent'); // prettier-ignore
  if (dc.PriceClass && dc.PriceClass !== 'PriceClass_All')
    report(`${base}.PriceClass`, 'price classes choose AWS edge locations; your PoPs are the ones you run');
}

function origin(x: Aws, path: string, report: Report): OriginConfig {
  const out: OriginConfig = { id: String(x.Id), domainName: String(x.DomainName) };
  if (x.OriginPath) out.originPath = String(x.OriginPath);
  const headers = items(x.CustomHeaders);
  if (headers.length)
    out.customHeaders = Object.fromEntries(headers.map((h) => [String(h.HeaderName), String(h.HeaderValue)]));
  if (x.ConnectionAttempts !== undefined) out.connectionAttempts = Number(x.ConnectionAttempts);
  if (x.ConnectionTimeout !== undefined) out.connectionTimeout = Number(x.ConnectionTimeout);
  const custom: Aws | undefined = x.CustomOriginConfig;
  if (custom) {
    const policy = String(custom.OriginProtocolPolicy ?? 'https-only');
    out.protocol = policy === 'http-only' ? 'http' : 'https';
    if (policy === 'match-viewer')
      report(`${path}.CustomOriginConfig.OriginProtocolPolicy`, 'match-viewer: Verge connects to an origin with one protocol; used https'); // prettier-ignore
    const port = out.protocol === 'http' ? custom.HTTPPort : custom.HTTPSPort;
    if (port !== undefined && Number(port) !== (out.protocol === 'http' ? 80 : 443)) out.port = Number(port);
    if (custom.OriginReadTimeout !== undefined) out.readTimeout = Number(custom.OriginReadTimeout);
    if (custom.OriginKeepaliveTimeout !== undefined) out.keepaliveTimeout = Number(custom.OriginKeepaliveTimeout);
  } else {
    // An S3 origin: Verge fetches the bucket's HTTPS endpoint like any origin.
    out.protocol = 'https';
    if (x.S3OriginConfig?.OriginAccessIdentity)
      report(`${path}.S3OriginConfig.OriginAccessIdentity`, 'origin access identities sign requests inside AWS: make the objects readable by the PoPs, or serve them from a bucket folder ({"bucket": {"path": DIR}})'); // prettier-ignore
  }
  if (x.OriginAccessControlId) {
    // The OAC itself is another CloudFront resource: its signing behavior is not in this config.
    const region = /\.s3[.-]([a-z0-9-]+)\.amazonaws\.com$/.exec(String(x.DomainName))?.[1] ?? 'us-east-1';
    const credentials =
      String(x.Id)
        .replace(/[^A-Za-z0-9_-]/g, '-')
        .replace(/^[^A-Za-z0-9]+/, '') || 'origin';
    out.originAccessControl = { signingBehavior: 'always', region, credentials };
    const env = oacEnvNames(credentials);
    report(`${path}.OriginAccessControlId`, `origin access control ${String(x.OriginAccessControlId)} mapped to originAccessControl (signing behavior "always", region ${out.originAccessControl.region}; check both with \`aws cloudfront get-origin-access-control --id ${String(x.OriginAccessControlId)}\`): set ${env.accessKeyId} and ${env.secretAccessKey} in the control plane's environment to keys that can read the bucket`); // prettier-ignore
  }
  if (x.OriginShield?.Enabled)
    report(`${path}.OriginShield`, 'Origin Shield has no Verge equivalent: each PoP fetches from the origin');
  return out;
}

function originGroup(g: Aws, path: string, report: Report): OriginGroupConfig {
  const members = items(g.Members).map((m) => String(m.OriginId));
  if (g.SelectionCriteria && g.SelectionCriteria !== 'default')
    report(`${path}.SelectionCriteria`, `"${g.SelectionCriteria}" has no Verge equivalent: the group fails over on status codes only`); // prettier-ignore
  return {
    id: String(g.Id),
    members: [members[0] ?? '', members[1] ?? ''],
    failoverCriteria: { statusCodes: items<number>(g.FailoverCriteria?.StatusCodes).map(Number) },
  };
}

function errorResponse(e: Aws): CustomErrorResponseConfig {
  return {
    errorCode: Number(e.ErrorCode),
    ...(e.ResponsePagePath ? { responsePagePath: String(e.ResponsePagePath) } : {}),
    ...(e.ResponseCode ? { responseCode: Number(e.ResponseCode) } : {}),
    ...(e.ErrorCachingMinTTL !== undefined ? { errorCachingMinTTL: Number(e.ErrorCachingMinTTL) } : {}),
  };
}

interface Ctx {
  o: ImportOptions;
  report: Report;
  functions: ImportResult['functions'];
}

function behavior(b: Aws, path: string, ctx: Ctx): DefaultCacheBehaviorConfig {
  const { report } = ctx;
  const out: DefaultCacheBehaviorConfig = { targetOriginId: String(b.TargetOriginId) };
  if (b.ViewerProtocolPolicy) out.viewerProtocolPolicy = b.ViewerProtocolPolicy;
  const allowed = items<string>(b.AllowedMethods);
  if (allowed.length) out.allowedMethods = allowed;
  const cached = items<string>(b.AllowedMethods?.CachedMethods);
  if (cached.length) out.cachedMethods = cached;
  if (b.Compress !== undefined) out.compress = Boolean(b.Compress);
  policies(b, path, out, ctx);
  if (b.TrustedKeyGroups?.Enabled) {
    out.trustedKeyGroups = items<string>(b.TrustedKeyGroups);
    report(`${path}.TrustedKeyGroups`, `key groups ${out.trustedKeyGroups.join(', ')}: their public keys are not in the distribution config; add them under "keyGroups" (aws cloudfront get-key-group, get-public-key) or with \`verge key-groups create\``); // prettier-ignore
  }
  if (b.TrustedSigners?.Enabled)
    report(`${path}.TrustedSigners`, 'trusted signers (CloudFront key pairs of an AWS account) have no Verge equivalent: use trusted key groups'); // prettier-ignore
  if (b.SmoothStreaming) report(`${path}.SmoothStreaming`, 'Microsoft Smooth Streaming has no Verge equivalent');
  if (b.FieldLevelEncryptionId)
    report(`${path}.FieldLevelEncryptionId`, 'field-level encryption has no Verge equivalent');
  if (b.RealtimeLogConfigArn)
    report(`${path}.RealtimeLogConfigArn`, 'real-time logs to Kinesis: use `verge logs tail` or the control plane API');
  const assoc = [
    ...items(b.LambdaFunctionAssociations).map((a, i) => lambda(a, `${path}.LambdaFunctionAssociations.Items[${i}]`, ctx)), // prettier-ignore
    ...items(b.FunctionAssociations).map((a, i) => cff(a, `${path}.FunctionAssociations.Items[${i}]`, ctx)),
  ].filter((a): a is FunctionAssociationConfig => a !== undefined);
  if (assoc.length) out.functionAssociations = assoc;
  return out;
}

function policies(b: Aws, path: string, out: DefaultCacheBehaviorConfig, ctx: Ctx): void {
  const { o, report } = ctx;
  const custom = (id: string, what: string, cmd: string) => {
    const doc = o.policies?.get(id);
    if (!doc)
      report(`${path}.${what}`, `custom policy ${id} is not among the --policies files: save \`aws cloudfront ${cmd} --id ${id}\` into that folder and import again`); // prettier-ignore
    return doc;
  };
  if (b.CachePolicyId) {
    const id = String(b.CachePolicyId);
    const doc = managedCachePolicy(id) ? undefined : custom(id, 'CachePolicyId', 'get-cache-policy');
    if (managedCachePolicy(id)) out.cachePolicy = managedCachePolicy(id)!.name;
    else if (doc) out.cachePolicy = cachePolicyFrom(doc, `${path}.CachePolicyId(${id})`, report);
  } else if (b.ForwardedValues) {
    const legacy = legacyCachePolicy(b, path, report);
    if (legacy === 'all-headers') {
      out.cachePolicy = 'CachingDisabled';
      out.originRequestPolicy = 'AllViewer';
    } else out.cachePolicy = legacy;
  }
  if (b.OriginRequestPolicyId) {
    const id = String(b.OriginRequestPolicyId);
    const managed = managedOriginRequestPolicy(id);
    const doc = managed ? undefined : custom(id, 'OriginRequestPolicyId', 'get-origin-request-policy');
    if (managed) out.originRequestPolicy = managed.name;
    else if (doc) out.originRequestPolicy = originRequestPolicyFrom(doc, `${path}.OriginRequestPolicyId(${id})`, report); // prettier-ignore
  }
  if (b.ResponseHeadersPolicyId) {
    const id = String(b.ResponseHeadersPolicyId);
    const managed = managedResponseHeadersPolicy(id);
    const doc = managed ? undefined : custom(id, 'ResponseHeadersPolicyId', 'get-response-headers-policy');
    if (managed) out.responseHeadersPolicy = managed.name;
    else if (doc) out.responseHeadersPolicy = responseHeadersPolicyFrom(doc, `${path}.ResponseHeadersPolicyId(${id})`, report); // prettier-ignore
  }
}

function eventType(v: unknown, path: string, report: Report): EventType | undefined {
  if (EVENTS.includes(v as EventType)) return v as EventType;
  report(`${path}.EventType`, `unknown event type "${String(v)}"`);
  return undefined;
}

/** `arn:aws:lambda:us-east-1:123456789012:function:NAME:VERSION` */
function lambda(a: Aws, path: string, ctx: Ctx): FunctionAssociationConfig | undefined {
  const arn = String(a.LambdaFunctionARN ?? '');
  const m = /^arn:aws[\w-]*:lambda:[\w-]+:\d+:function:([A-Za-z0-9_-]+)(?::([^:]+))?$/.exec(arn);
  const ev = eventType(a.EventType, path, ctx.report);
  if (!m) {
    ctx.report(`${path}.LambdaFunctionARN`, `not a Lambda function ARN: "${arn}"`);
    return undefined;
  }
  const name = m[1]!;
  const found = ctx.o.findFunction?.(name, 'lambda');
  ctx.functions.push({ name, kind: 'lambda', arn, found: Boolean(found) });
  if (!found) {
    ctx.report(`${path}.LambdaFunctionARN`, `no package for ${name} in --functions: \`aws lambda get-function --function-name ${arn} --query Code.Location\` gives a URL of its zip; save it as ${name}.zip (or unzip it into ${name}/)`); // prettier-ignore
    return undefined;
  }
  if (!ev) return undefined;
  const fn: FunctionConfig = { path: found.path, name, ...(m[2] ? { version: m[2] } : {}) };
  if (found.runtime) fn.runtime = found.runtime;
  if (found.handler) fn.handler = found.handler;
  return { eventType: ev, function: fn, ...(a.IncludeBody ? { includeBody: true } : {}) };
}

/** `arn:aws:cloudfront::123456789012:function/NAME` */
function cff(a: Aws, path: string, ctx: Ctx): FunctionAssociationConfig | undefined {
  const arn = String(a.FunctionARN ?? '');
  const m = /^arn:aws[\w-]*:cloudfront::\d+:function\/([A-Za-z0-9_-]+)$/.exec(arn);
  const ev = eventType(a.EventType, path, ctx.report);
  if (!m) {
    ctx.report(`${path}.FunctionARN`, `not a CloudFront Functions ARN: "${arn}"`);
    return undefined;
  }
  const name = m[1]!;
  const found = ctx.o.findFunction?.(name, 'cloudfront-function');
  ctx.functions.push({ name, kind: 'cloudfront-function', arn, found: Boolean(found) });
  if (!found) {
    ctx.report(`${path}.FunctionARN`, `no code for ${name} in --functions: \`aws cloudfront get-function --name ${name} ${name}.js\` saves it`); // prettier-ignore
    return undefined;
  }
  if (!ev) return undefined;
  return { eventType: ev, function: { path: found.path, name, runtime: found.runtime ?? 'cloudfront-js-2.0' } };
}

/**
 * @module edge/config/compile
 * `compilePlan`: validated distribution configs → the immutable EdgePlan the pipeline reads per
 * request. Everything is resolved here, off the hot path: defaults, managed policies, origins
 * (bucket paths made absolute), origin groups, behaviors in order with the default last and
 * their path matchers precompiled, function hooks per event (`null` where none), and the
 * lower-case host map. Pure apart from path resolution; file existence is the loader's job.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { resolve } from 'node:path';
import { DEFAULTS } from '../../shared/config/defaults.js';
import { functionObject, resolveFunction } from '../../shared/config/functions.js';
import type {
  ContinuousDeploymentConfig,
  CustomErrorResponseConfig,
  DefaultCacheBehaviorConfig,
  DistributionConfig,
  FunctionAssociationConfig,
  GeoRestrictionConfig,
  KeyGroupConfig,
  OacKeys,
  OriginConfig,
  OriginGroupConfig,
} from '../../shared/config/types.js';
import { missingOacKeysMessage, oacKeysFromEnv } from '../../shared/config/origin-access.js';
import { formatProblems, validateDistribution } from '../../shared/config/validate.js';
import { VergeError } from '../../shared/errors.js';
import { EVENT_TYPES, type EventType, type FunctionSource } from '../../shared/lambda-edge/index.js';
import { compileCachePolicy, compileOriginRequestPolicy, compileResponseHeadersPolicy } from './compile-policies.js';
import { compilePathPattern } from './path-pattern.js';
import type {
  BehaviorPlan,
  ContinuousDeploymentPlan,
  CustomErrorResponsePlan,
  DistributionPlan,
  EdgePlan,
  FunctionAssociationPlan,
  GeoRestrictionPlan,
  HookPlan,
  OriginAccessPlan,
  OriginGroupPlan,
  OriginPlan,
  PlanSource,
} from './plan.js';

export interface ConfigInput {
  config: DistributionConfig;
  /** The folder relative paths (functions, buckets, KVS files) resolve against. */
  baseDir: string;
  /**
   * Origin access control keys by credential set name (the snapshot's, from the control plane).
   * Default: the edge process's environment (shared/config/origin-access.ts).
   */
  credentials?: OacResolver;
}

/** The keys of a credential set, and where they were looked for (for the message when missing). */
export interface OacResolver {
  keys(name: string): OacKeys | undefined;
  where: string;
}

export const ENV_CREDENTIALS: OacResolver = {
  keys: (name) => oacKeysFromEnv(name, process.env),
  where: 'the edge process',
};

export function compilePlan(configs: readonly ConfigInput[]): EdgePlan {
  checkInputs(configs);
  const sources: PlanSource[] = [];
  const distributions = configs.map((c) => {
    const source: PlanSource = { config: c.config, baseDir: c.baseDir, credentials: null };
    sources.push(source);
    return compileDistribution(c.config, c.baseDir, c.credentials && recording(c.credentials, source));
  });
  return {
    version: planVersion(configs),
    distributions,
    byHost: hostMap(distributions),
    byId: new Map(distributions.map((d) => [d.id, d] as const)),
    sources,
  };
}

/** A resolver that also notes what it found in `source`, so the plan can be compiled again elsewhere. */
function recording(r: OacResolver, source: PlanSource): OacResolver {
  const found: Record<string, OacKeys> = {};
  source.credentials = { where: r.where, keys: found };
  return {
    where: r.where,
    keys(name) {
      const k = r.keys(name);
      if (k !== undefined) found[name] = k;
      return k;
    },
  };
}

/** compilePlan is also reachable without the loader (control-plane snapshots, tests): re-check. */
function checkInputs(configs: readonly ConfigInput[]): void {
  const problems: Array<{ distribution: string; path: string; message: string }> = [];
  const seen = new Set<string>();
  configs.forEach((c, i) => {
    const r = validateDistribution(c.config);
    const name = typeof c.config?.id === 'string' ? c.config.id : `#${i}`;
    if (!r.ok) problems.push(...r.problems.map((x) => ({ distribution: name, ...x })));
    else if (seen.has(c.config.id))
      problems.push({ distribution: name, path: '$.id', message: `duplicate distribution id ${JSON.stringify(name)}` });
    seen.add(name);
  });
  if (problems.length === 0) return;
  const text = problems.map((x) => `${x.distribution}: ${formatProblems([x])}`).join('\n');
  throw new VergeError('CONFIG_INVALID', `invalid distribution config:\n${text}`, { details: { problems } });
}

/** A sha256 over the configs and their base folders, with object keys sorted. */
export function planVersion(configs: readonly ConfigInput[]): string {
  return createHash('sha256')
    .update(stableJson(configs.map((c) => [c.baseDir, c.config])))
    .digest('hex');
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** Lower-case aliases and domain names → distribution; a host claimed twice is an error. */
function hostMap(distributions: readonly DistributionPlan[]): Map<string, DistributionPlan> {
  const map = new Map<string, DistributionPlan>();
  const clashes: Array<{ host: string; distributions: [string, string] }> = [];
  for (const d of distributions) {
    for (const host of new Set([d.domainName, ...d.aliases])) {
      const prev = map.get(host);
      if (prev && prev !== d) clashes.push({ host, distributions: [prev.id, d.id] });
      else map.set(host, d);
    }
  }
  if (clashes.length > 0) {
    const text = clashes
      .map((c) => `"${c.host}" is claimed by distributions "${c.distributions[0]}" and "${c.distributions[1]}"`)
      .join('; ');
    throw new VergeError('CONFIG_DUPLICATE_ALIAS', `duplicate host name: ${text}`, { details: { clashes } });
  }
  return map;
}

export function compileDistribution(
  c: DistributionConfig,
  baseDir: string,
  credentials: OacResolver = ENV_CREDENTIALS,
): DistributionPlan {
  const origins = new Map(
    c.origins.map((o, i) => [o.id, compileOrigin(o, baseDir, accessPlan(c, o, i, credentials))] as const),
  );
  const groups = new Map((c.originGroups ?? []).map((g) => [g.id, compileGroup(g, origins)] as const));
  const fnCache = new Map<string, FunctionSource>();
  const keyGroups = compileKeyGroups(c.keyGroups ?? []);
  const ctx = { origins, groups, baseDir, fnCache, keyGroups };
  const behaviors: BehaviorPlan[] = (c.cacheBehaviors ?? []).map((b) => compileBehavior(b, b.pathPattern, ctx));
  behaviors.push(compileBehavior(c.defaultCacheBehavior, '*', ctx));
  const last = behaviors[behaviors.length - 1]!;
  const errors = new Map((c.customErrorResponses ?? []).map((e) => [e.errorCode, compileErrorResponse(e)] as const));
  return {
    id: c.id,
    domainName: (c.domainName ?? `${c.id}${DEFAULTS.domainSuffix}`).toLowerCase(),
    aliases: (c.aliases ?? []).map((a) => a.toLowerCase()),
    enabled: c.enabled ?? DEFAULTS.enabled,
    comment: c.comment ?? '',
    origins,
    originGroups: groups,
    behaviors,
    customErrorResponses: errors,
    defaultRootObject: c.defaultRootObject ? `/${c.defaultRootObject}` : null,
    geoRestriction: compileGeoRestriction(c.restrictions?.geoRestriction),
    staging: c.staging === true,
    continuousDeployment: c.continuousDeployment
      ? {
          stagingId: c.continuousDeployment.stagingDistributionId,
          header: c.continuousDeployment.header
            ? { name: c.continuousDeployment.header.name.toLowerCase(), value: c.continuousDeployment.header.value }
            : null,
          weightPercent: c.continuousDeployment.weight?.percent ?? 0,
          sticky: stickyOf(c.continuousDeployment),
        }
      : null,
    behaviorFor(path: string): BehaviorPlan {
      // Spec 7.1: first match in order; the default (last) always matches.
      for (const b of behaviors) if (b.matches(path)) return b;
      return last;
    },
  };
}

/** The sticky session of a weight routing: its idle seconds and a token naming this policy. */
function stickyOf(cd: ContinuousDeploymentConfig): ContinuousDeploymentPlan['sticky'] {
  const seconds = cd.weight?.stickySeconds;
  if (seconds === undefined) return null;
  const token = createHash('sha256')
    .update(`${cd.stagingDistributionId}\u0000${cd.weight!.percent}\u0000${seconds}`)
    .digest('hex')
    .slice(0, 10);
  return { seconds, token };
}

/** The origin's OAC with its keys, or CONFIG_INVALID naming the credential set and its variables. */
function accessPlan(
  c: DistributionConfig,
  o: OriginConfig,
  i: number,
  credentials: OacResolver,
): OriginAccessPlan | undefined {
  const ac = o.originAccessControl;
  if (!ac) return undefined;
  // A snapshot carries the control plane's keys; a static config names a set in the edge's environment.
  const keys = ac.keys ?? credentials.keys(ac.credentials);
  if (!keys) {
    const path = `$.origins[${i}].originAccessControl.credentials`;
    const message = missingOacKeysMessage(ac.credentials, credentials.where);
    throw new VergeError('CONFIG_INVALID', `invalid distribution config:\n${c.id}: ${path}: ${message}`, {
      details: { problems: [{ distribution: c.id, path, message }] },
    });
  }
  const plan = { signingBehavior: ac.signingBehavior, region: ac.region, service: 's3', credentials: ac.credentials };
  // Not enumerable, so a plan printed or serialised never carries the secret.
  return Object.defineProperty(plan, 'keys', { value: keys, enumerable: false }) as OriginAccessPlan;
}

function compileOrigin(o: OriginConfig, baseDir: string, accessControl?: OriginAccessPlan): OriginPlan {
  const common = {
    id: o.id,
    originPath: o.originPath ?? '',
    customHeaders: Object.entries(o.customHeaders ?? {}),
    connectionAttempts: o.connectionAttempts ?? DEFAULTS.connectionAttempts,
    connectionTimeoutMs: (o.connectionTimeout ?? DEFAULTS.connectionTimeoutSec) * 1000,
    readTimeoutMs: (o.readTimeout ?? DEFAULTS.readTimeoutSec) * 1000,
    keepaliveTimeoutMs: (o.keepaliveTimeout ?? DEFAULTS.keepaliveTimeoutSec) * 1000,
  };
  if (o.bucket) {
    return {
      ...common,
      kind: 'bucket',
      domainName: `${o.id}.bucket.verge`,
      port: 80,
      protocol: 'http',
      bucketPath: resolve(baseDir, o.bucket.path),
    };
  }
  const protocol = o.protocol ?? DEFAULTS.protocol;
  return {
    ...common,
    kind: 'custom',
    domainName: o.domainName!,
    port: o.port ?? (protocol === 'https' ? 443 : 80),
    protocol,
    ...(accessControl ? { accessControl } : {}),
  };
}

function compileGroup(g: OriginGroupConfig, origins: ReadonlyMap<string, OriginPlan>): OriginGroupPlan {
  return {
    id: g.id,
    primary: origins.get(g.members[0]!)!,
    secondary: origins.get(g.members[1]!)!,
    statusCodes: new Set(g.failoverCriteria.statusCodes),
  };
}

/** `whitelist`/`blacklist` are CloudFront's API spellings of allow and block lists. */
function compileGeoRestriction(g: GeoRestrictionConfig | undefined): GeoRestrictionPlan | null {
  if (!g || g.restrictionType === 'none') return null;
  const type = g.restrictionType === 'allowlist' || g.restrictionType === 'whitelist' ? 'allowlist' : 'blocklist';
  return { type, countries: new Set(g.locations ?? []) };
}

/** Key group id → (public key id → key), each PEM parsed once here rather than per request. */
function compileKeyGroups(list: readonly KeyGroupConfig[]): Map<string, Map<string, KeyObject>> {
  const parsed = new Map<string, KeyObject>();
  return new Map(
    list.map((g) => [
      g.id,
      new Map(
        g.publicKeys.map((k) => {
          const pem = k.encodedKey.trim();
          let key = parsed.get(pem);
          if (!key) parsed.set(pem, (key = createPublicKey(pem)));
          return [k.id, key] as const;
        }),
      ),
    ]),
  );
}

function compileErrorResponse(e: CustomErrorResponseConfig): CustomErrorResponsePlan {
  const out: CustomErrorResponsePlan = {
    errorCode: e.errorCode,
    errorCachingMinTTL: e.errorCachingMinTTL ?? DEFAULTS.errorCachingMinTTL,
  };
  if (e.responsePagePath !== undefined) out.responsePagePath = e.responsePagePath;
  if (e.responseCode !== undefined) out.responseCode = e.responseCode;
  return out;
}

interface BehaviorContext {
  origins: ReadonlyMap<string, OriginPlan>;
  groups: ReadonlyMap<string, OriginGroupPlan>;
  baseDir: string;
  /** One FunctionSource object per distinct function description, shared across behaviors. */
  fnCache: Map<string, FunctionSource>;
  keyGroups: ReadonlyMap<string, ReadonlyMap<string, KeyObject>>;
}

function compileBehavior(b: DefaultCacheBehaviorConfig, pathPattern: string, ctx: BehaviorContext): BehaviorPlan {
  const group = ctx.groups.get(b.targetOriginId);
  const target: BehaviorPlan['target'] = group
    ? { kind: 'group', group }
    : { kind: 'origin', origin: ctx.origins.get(b.targetOriginId)! };
  const hooks = compileHooks(b.functionAssociations ?? [], ctx);
  return {
    pathPattern,
    matches: pathPattern === '*' ? () => true : compilePathPattern(pathPattern),
    target,
    viewerProtocolPolicy: b.viewerProtocolPolicy ?? DEFAULTS.viewerProtocolPolicy,
    allowedMethods: new Set((b.allowedMethods ?? DEFAULTS.allowedMethods).map((m) => m.toUpperCase())),
    cachedMethods: new Set((b.cachedMethods ?? DEFAULTS.cachedMethods).map((m) => m.toUpperCase())),
    compress: b.compress ?? DEFAULTS.compress,
    cachePolicy: compileCachePolicy(b.cachePolicy),
    originRequestPolicy: compileOriginRequestPolicy(b.originRequestPolicy),
    responseHeadersPolicy: compileResponseHeadersPolicy(b.responseHeadersPolicy),
    hooks,
    anyFunctions: EVENT_TYPES.some((e) => hooks[e] !== null),
    trustedKeys: trustedKeys(b.trustedKeyGroups, ctx.keyGroups),
  };
}

/** The public keys of the trusted key groups together; an empty list means no restriction. */
function trustedKeys(
  ids: readonly string[] | undefined,
  groups: BehaviorContext['keyGroups'],
): ReadonlyMap<string, KeyObject> | null {
  if (!ids || ids.length === 0) return null;
  const keys = new Map<string, KeyObject>();
  for (const id of ids) for (const [kid, key] of groups.get(id) ?? []) keys.set(kid, key);
  return keys;
}

function compileHooks(list: readonly FunctionAssociationConfig[], ctx: BehaviorContext): HookPlan {
  const hooks: Record<EventType, FunctionAssociationPlan | null> = {
    'viewer-request': null,
    'origin-request': null,
    'origin-response': null,
    'viewer-response': null,
  };
  const plan = (a: FunctionAssociationConfig): FunctionAssociationPlan => ({
    eventType: a.eventType,
    includeBody: a.includeBody ?? false,
    source: functionSource(a.function, ctx),
    canary: null,
  });
  for (const a of list) if (!a.canary) hooks[a.eventType] = plan(a);
  // A canary arm rides on its event's plain association (the validator made sure there is one).
  for (const a of list) {
    const base = a.canary && hooks[a.eventType];
    if (base) base.canary = { id: a.canary!.id, percent: a.canary!.percent, arm: plan(a) };
  }
  return hooks;
}

/** Static mode: id = absolute path, version `$LATEST`, code read from that path. */
export function functionSource(
  f: FunctionAssociationConfig['function'],
  ctx: Pick<BehaviorContext, 'baseDir' | 'fnCache'>,
): FunctionSource {
  const o = functionObject(f);
  const r = resolveFunction(o);
  const abs = resolve(ctx.baseDir, r.path);
  const src: FunctionSource = {
    id: abs,
    name: r.name,
    version: o.version ?? DEFAULTS.functionVersion,
    runtime: r.runtime,
    handler: r.handler,
    code: { path: abs },
  };
  if (o.env) src.env = { ...o.env };
  if (o.secretNames) src.secretNames = [...o.secretNames];
  if (o.profile) src.profile = o.profile;
  if (o.timeoutMs !== undefined || o.memoryMB !== undefined || o.concurrency !== undefined) {
    src.overrides = {};
    if (o.timeoutMs !== undefined) src.overrides.timeoutMs = o.timeoutMs;
    if (o.memoryMB !== undefined) src.overrides.memoryMB = o.memoryMB;
    if (o.concurrency !== undefined) src.overrides.concurrency = o.concurrency;
  }
  if (o.egress && o.egress.allow.length > 0) src.egress = { allow: [...o.egress.allow] };
  if (o.kvs)
    src.kvs = o.kvs.path === undefined ? { id: o.kvs.id } : { id: o.kvs.id, path: resolve(ctx.baseDir, o.kvs.path) };
  const key = stableJson(src);
  const cached = ctx.fnCache.get(key);
  if (cached) return cached;
  ctx.fnCache.set(key, src);
  return src;
}

/**
 * @module runtime/host/limits
 * Limit profiles: `cloudfront` (Lambda@Edge's and CloudFront Functions' quotas, the default;
 * spec 4.1, 4.2) and `relaxed` (generous values for development), plus per-function overrides
 * that must stay inside the profile's envelope. `resolveLimits` turns a profile, the overrides
 * and the event types a function is attached to into the numbers one loaded function runs with.
 */
import { CONTRACT } from '../../shared/lambda-edge/contract.js';
import type { EventType, FunctionSource, LimitProfileName } from '../../shared/lambda-edge/index.js';
import { VergeError } from '../../shared/errors.js';

const KB = 1024;
const MB = 1024 * 1024;

export interface EventLimits {
  /** Default and maximum handler timeout. */
  timeoutMs: number;
  /** Memory given when the function does not ask (Lambda's default is 128 MB). */
  memoryMB: number;
  /** The largest memory a function may ask for on this event. */
  maxMemoryMB: number;
  generatedResponseBytes: number;
  packageBytes: number;
  bodyExposedBytes: number;
  bodyReplaceTextBytes: number;
  bodyReplaceBase64Bytes: number;
}

export interface CffLimits {
  /** Maximum source size (spec 4.2: 10 KB). */
  codeBytes: number;
  /** isolated-vm cannot go below 8 MB; CloudFront's 2 MB is not reproducible (docs/lambda-edge-compat.md). */
  memoryMB: number;
  /** CPU time per invocation that counts as 100 % compute utilization. */
  computeBudgetMs: number;
  /**
   * Wall-clock cap on one invocation (a runaway loop is stopped here: FUNCTION_EXECUTION_ERROR).
   * Generous on purpose: wall time on a busy host is not compute, and the budget rule below is
   * what throttles expensive functions.
   */
  hardTimeoutMs: number;
  /** Sustained over-budget rule: mean utilization over this many invocations above 100 % throttles. */
  throttleWindow: number;
  /** How long a function stays throttled once the rule fires. */
  throttleCooldownMs: number;
  /** Generated response size cap (same 40 KB as Lambda@Edge viewer events). */
  generatedResponseBytes: number;
}

export interface LimitProfile {
  name: LimitProfileName;
  events: Readonly<Record<EventType, EventLimits>>;
  /** Isolates per loaded function (per PoP, per version), unless overridden. */
  concurrency: number;
  /** Largest per-function concurrency override. */
  maxConcurrency: number;
  /** Module initialization (Lambda's init phase) timeout. */
  initTimeoutMs: number;
  /**
   * How long the host may block on the synchronous fast path (applySync) before the
   * invocation is replayed on a fresh isolate off the main thread (see instance.ts): the most
   * of the edge's event loop one invocation (or module init) can hold, so a function that
   * spins costs its own requests, not its neighbours' (issue 9: 5 ms).
   */
  syncSliceMs: number;
  fetchTimeoutMs: number;
  maxFetchBytes: number;
  cff: CffLimits;
}

function fromContract(event: EventType): EventLimits {
  const l = CONTRACT[event].limits;
  return {
    timeoutMs: l.timeoutMs,
    memoryMB: 128,
    maxMemoryMB: l.maxMemoryMB,
    generatedResponseBytes: l.generatedResponseBytes,
    packageBytes: l.packageBytes,
    bodyExposedBytes: l.bodyExposedBytes,
    bodyReplaceTextBytes: l.bodyReplaceTextBytes,
    bodyReplaceBase64Bytes: l.bodyReplaceBase64Bytes,
  };
}

const relaxedEvent: EventLimits = {
  timeoutMs: 30_000,
  memoryMB: 512,
  maxMemoryMB: 10_240,
  generatedResponseBytes: 10 * MB,
  packageBytes: 250 * MB,
  bodyExposedBytes: 1 * MB,
  bodyReplaceTextBytes: 10 * MB,
  bodyReplaceBase64Bytes: Math.ceil((10 * MB * 4) / 3) + 4,
};

export const PROFILES: Readonly<Record<LimitProfileName, LimitProfile>> = {
  cloudfront: {
    name: 'cloudfront',
    events: {
      'viewer-request': fromContract('viewer-request'),
      'origin-request': fromContract('origin-request'),
      'origin-response': fromContract('origin-response'),
      'viewer-response': fromContract('viewer-response'),
    },
    concurrency: 16,
    maxConcurrency: 1000,
    initTimeoutMs: 10_000,
    syncSliceMs: 5,
    fetchTimeoutMs: 30_000,
    maxFetchBytes: 6 * MB,
    cff: {
      codeBytes: 10 * KB,
      memoryMB: 8,
      computeBudgetMs: 1,
      hardTimeoutMs: 1_000,
      throttleWindow: 10,
      throttleCooldownMs: 1_000,
      generatedResponseBytes: 40 * KB,
    },
  },
  relaxed: {
    name: 'relaxed',
    events: {
      'viewer-request': relaxedEvent,
      'origin-request': relaxedEvent,
      'origin-response': relaxedEvent,
      'viewer-response': relaxedEvent,
    },
    concurrency: 16,
    maxConcurrency: 1000,
    initTimeoutMs: 30_000,
    syncSliceMs: 5,
    fetchTimeoutMs: 30_000,
    maxFetchBytes: 50 * MB,
    cff: {
      codeBytes: 1 * MB,
      memoryMB: 64,
      computeBudgetMs: 50,
      hardTimeoutMs: 5_000,
      throttleWindow: 10,
      throttleCooldownMs: 1_000,
      generatedResponseBytes: 1 * MB,
    },
  },
};

/** The numbers one loaded function runs with. */
export interface FunctionLimits {
  profile: LimitProfile;
  /** Memory of each isolate: the smallest allowed by the attached events, or the override. */
  memoryMB: number;
  /** Compressed package cap: the smallest of the attached events (the CloudFront rule). */
  packageBytes: number;
  concurrency: number;
  /** Per event: timeout (override applied) and the size limits the validator uses. */
  forEvent(event: EventType): EventLimits;
}

function loadError(message: string): VergeError {
  return new VergeError('FUNCTION_LOAD_ERROR', message);
}

export function getProfile(name: LimitProfileName | undefined): LimitProfile {
  const p = PROFILES[name ?? 'cloudfront'];
  if (!p) throw loadError(`Unknown limit profile '${String(name)}' (known: ${Object.keys(PROFILES).join(', ')})`);
  return p;
}

/**
 * Combine profile, overrides and attached events. Overrides may lower any limit and raise it
 * only up to the profile's envelope; outside it the load fails (silent clamping would hide a
 * misconfiguration).
 */
export function resolveLimits(
  source: Pick<FunctionSource, 'profile' | 'overrides'>,
  eventTypes: readonly EventType[],
  defaultConcurrency?: number,
): FunctionLimits {
  const profile = getProfile(source.profile);
  const events = eventTypes.length > 0 ? eventTypes : (['viewer-request'] as const);
  const o = source.overrides ?? {};
  const minOf = (f: (l: EventLimits) => number) => Math.min(...events.map((e) => f(profile.events[e])));
  const maxTimeout = minOf((l) => l.timeoutMs);
  if (o.timeoutMs !== undefined && !(o.timeoutMs > 0 && o.timeoutMs <= maxTimeout)) {
    throw loadError(
      `overrides.timeoutMs ${o.timeoutMs} is outside the ${profile.name} profile's range 1..${maxTimeout} ms for ${events.join(', ')}`,
    );
  }
  const maxMemory = minOf((l) => l.maxMemoryMB);
  if (o.memoryMB !== undefined && !(o.memoryMB >= 8 && o.memoryMB <= maxMemory)) {
    throw loadError(
      `overrides.memoryMB ${o.memoryMB} is outside the ${profile.name} profile's range 8..${maxMemory} MB for ${events.join(', ')}`,
    );
  }
  if (
    o.concurrency !== undefined &&
    !(Number.isInteger(o.concurrency) && o.concurrency >= 1 && o.concurrency <= profile.maxConcurrency)
  ) {
    throw loadError(
      `overrides.concurrency ${o.concurrency} is outside the ${profile.name} profile's range 1..${profile.maxConcurrency}`,
    );
  }
  const forEvent = (event: EventType): EventLimits => {
    const base = profile.events[event];
    return o.timeoutMs === undefined ? base : { ...base, timeoutMs: Math.min(o.timeoutMs, base.timeoutMs) };
  };
  return {
    profile,
    memoryMB: o.memoryMB ?? minOf((l) => l.memoryMB),
    packageBytes: minOf((l) => l.packageBytes),
    concurrency: o.concurrency ?? defaultConcurrency ?? profile.concurrency,
    forEvent,
  };
}

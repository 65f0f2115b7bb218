/**
 * @module control/domain/functions
 * Functions and their versions: settings validation, the API views (secrets always `***`), and
 * `publish`, which copies `$LATEST` (code and settings, secrets still sealed) into an immutable
 * numbered version, as Lambda does.
 */
import { egressProblems, type EgressConfig } from '../../shared/config/egress.js';
import type { ConfigProblem } from '../../shared/config/types.js';
import { isCloudFrontFunction } from '../../shared/config/functions.js';
import { VergeError } from '../../shared/errors.js';
import type { SecretBox } from '../auth/secret-box.js';
import { validationError } from './validation.js';
import { REDACTED } from '../compile/secrets.js';
import type { FunctionRecord, FunctionRuntimeName, FunctionSettings, Store, VersionRecord } from '../store/types.js';

export const RUNTIMES = [
  'nodejs',
  'python',
  'cloudfront-js-2.0',
  'cloudfront-js-1.0',
] as const satisfies readonly FunctionRuntimeName[];

const ENV_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

export interface SettingsInput {
  runtime?: FunctionSettings['runtime'];
  handler?: string;
  memoryMB?: number | null;
  timeoutMs?: number | null;
  profile?: FunctionSettings['profile'];
  concurrency?: number | null;
  kvs?: string | null;
  egress?: EgressConfig | null;
  env?: Record<string, string | null>;
  secrets?: Record<string, string | null>;
}

/** Apply a create/PATCH input to settings; secrets are sealed here and nowhere else. */
export async function applySettings(
  store: Store,
  box: SecretBox,
  base: FunctionSettings,
  input: SettingsInput,
): Promise<FunctionSettings> {
  const problems: ConfigProblem[] = [];
  const next: FunctionSettings = { ...base, env: { ...base.env }, secrets: { ...base.secrets } };
  for (const k of ['handler', 'memoryMB', 'timeoutMs', 'profile', 'concurrency', 'kvs'] as const) {
    if (input[k] !== undefined) (next as unknown as Record<string, unknown>)[k] = input[k];
  }
  if (input.egress !== undefined) {
    const found = input.egress === null ? [] : egressProblems(input.egress, '$.egress');
    problems.push(...found);
    if (found.length === 0)
      next.egress =
        input.egress === null || input.egress.allow.length === 0 ? null : { allow: [...input.egress.allow] };
  }
  for (const [field, target, seal] of [
    ['env', next.env, (v: string) => v],
    ['secrets', next.secrets, (v: string) => box.seal(v)],
  ] as const) {
    for (const [k, v] of Object.entries(input[field] ?? {})) {
      if (!ENV_NAME.test(k))
        problems.push({ path: `$.${field}.${k}`, message: 'names use letters, digits and _, starting with a letter' });
      else if (v === null) delete target[k];
      else target[k] = seal(v);
    }
  }
  for (const k of Object.keys(next.env)) {
    if (k in next.secrets)
      problems.push({
        path: `$.secrets.${k}`,
        message: `${k} is also a plain env var: a name is either env or secret`,
      });
  }
  if (next.kvs !== null) {
    if (next.runtime !== 'cloudfront-js-2.0')
      problems.push({ path: '$.kvs', message: 'a KeyValueStore needs runtime cloudfront-js-2.0 (spec 4.2)' });
    else if (!(await store.kvs.get(next.kvs)))
      problems.push({ path: '$.kvs', message: `KeyValueStore ${next.kvs} does not exist (POST /api/v1/kvs first)` });
  }
  if (problems.length > 0) throw validationError(problems);
  return next;
}

export function emptySettings(runtime: FunctionSettings['runtime'], handler: string): FunctionSettings {
  return {
    runtime,
    handler,
    memoryMB: null,
    timeoutMs: null,
    profile: null,
    concurrency: null,
    env: {},
    secrets: {},
    kvs: null,
    egress: null,
  };
}

export function versionView(v: VersionRecord) {
  return {
    version: v.version,
    sha256: v.sha256,
    size: v.size,
    createdAt: new Date(v.createdAt).toISOString(),
    description: v.description,
  };
}

/** What every Function answer carries about its versions, so a list needs no call per function. */
export interface VersionSummary {
  count: number;
  /** The newest version number; null before the first publish. */
  latest: number | null;
}

export function summarize(versions: readonly VersionRecord[]): VersionSummary {
  return { count: versions.length, latest: versions.at(-1)?.version ?? null };
}

/**
 * The Function resource. `versions` (every version in full) is given for single-function answers;
 * lists pass only the summary, which the store computes in one query.
 */
export function functionView(f: FunctionRecord, summary: VersionSummary, versions?: readonly VersionRecord[]) {
  return {
    name: f.name,
    runtime: f.runtime,
    handler: f.handler,
    memoryMB: f.memoryMB,
    timeoutMs: f.timeoutMs,
    profile: f.profile,
    concurrency: f.concurrency,
    kvs: f.kvs,
    egress: f.egress,
    env: f.env,
    secrets: Object.fromEntries(Object.keys(f.secrets).map((k) => [k, REDACTED])),
    codeSha256: f.codeSha256,
    codeSize: f.codeSize,
    lastModified: new Date(f.updatedAt).toISOString(),
    versionCount: summary.count,
    latestVersion: summary.latest,
    ...(versions ? { versions: versions.map(versionView) } : {}),
    etag: `"r${f.revision}"`,
  };
}

/**
 * The settings alone, copied, out of a function record or anything that carries them: what a
 * version stores, and what the deploy gate's memo is keyed by (so $LATEST's check at publish and
 * the version's at attach agree).
 */
export function settingsOf(f: FunctionSettings): FunctionSettings {
  const { runtime, handler, memoryMB, timeoutMs, profile, concurrency, env, secrets, kvs, egress } = f;
  return {
    runtime,
    handler,
    memoryMB,
    timeoutMs,
    profile,
    concurrency,
    env: { ...env },
    secrets: { ...secrets },
    kvs,
    egress: egress === null ? null : { allow: [...egress.allow] },
  };
}

/** A single-function answer: the summary and every version. */
export function functionWithVersions(f: FunctionRecord, versions: readonly VersionRecord[]) {
  return functionView(f, summarize(versions), versions);
}

export async function getFunction(store: Store, name: string): Promise<FunctionRecord> {
  const f = await store.functions.get(name);
  if (!f) throw new VergeError('NOT_FOUND', `function ${name} does not exist (GET /api/v1/functions lists them)`);
  return f;
}

export async function publish(
  store: Store,
  f: FunctionRecord,
  description: string,
  now: number,
): Promise<VersionRecord> {
  const last = (await store.functions.versions(f.name)).at(-1);
  const v: VersionRecord = {
    name: f.name,
    version: (last?.version ?? 0) + 1,
    sha256: f.codeSha256,
    size: f.codeSize,
    description,
    createdAt: now,
    settings: settingsOf(f),
  };
  await store.functions.insertVersion(v);
  return v;
}

export function isCff(f: FunctionSettings): boolean {
  return isCloudFrontFunction(f.runtime);
}

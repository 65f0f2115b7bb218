/**
 * @module cli/cmd-functions
 * `verge functions create|update-code|update|publish|list|get|delete|test`: functions and their
 * numbered versions over the REST API (docs/api.md). Code comes from a file, a folder or a .zip.
 */
import { readFile } from 'node:fs/promises';
import { RUNTIME_NAMES, resolveFunction } from '../shared/config/functions.js';
import type { EventType, FunctionResource, FunctionRuntime, LimitProfile } from '../client/index.js';
import { ERROR_CODES, VergeError, type ErrorCode } from '../shared/errors.js';
import { print } from '../shared/log.js';
import { UsageError } from './args.js';
import { CONNECTION_HELP, connect, dispatch, onePositional, optionalInt, pairs, parseCommand } from './cmd-common.js';
import { readPackage } from './cmd-package.js';
import { ago, bytes, emit, fields, table, time } from './output.js';

export const FUNCTIONS_HELP = `verge functions <verb> [options]

  create NAME --code PATH [--runtime nodejs|python|cloudfront-js-2.0|cloudfront-js-1.0] [--handler file.export]
              [--env K=V]... [--secret K=V]... [--memory MB] [--timeout-ms N] [--profile cloudfront|relaxed]
              [--concurrency N] [--egress-allow ENTRY]... [--publish]
                                  PATH is a file, a folder or a .zip; the handler defaults to
                                  <file>.handler for a file, index.handler for a folder or zip;
                                  --egress-allow lets outbound requests reach a host, an address or
                                  a CIDR block beyond public addresses (origin.internal:8443,
                                  10.0.0.0/8; docs/security.md)
  update-code NAME --code PATH [--if-match ETAG] [--publish]
  update NAME [--handler H] [--env K=V]... [--secret K=V]... [--unset-secret K]... [--memory MB]
              [--timeout-ms N] [--profile P] [--concurrency N] [--egress-allow ENTRY]...
              [--no-egress-allow] [--if-match ETAG]
                                  --egress-allow replaces the whole allow-list; --no-egress-allow
                                  empties it (public addresses only)
  publish NAME [--description TEXT]  make an immutable numbered version of $LATEST
  list
  get NAME                            the function with its versions
  delete NAME [--if-match ETAG]       refused while a version is attached (remove its triggers first)
  test NAME --event TYPE [--version N] [--event-file FILE]
                                      run it once on the control plane's engine (same as \`verge invoke\`)

${CONNECTION_HELP}
`;

const EVENTS: EventType[] = ['viewer-request', 'origin-request', 'origin-response', 'viewer-response'];

const SETTINGS = {
  handler: { type: 'string' },
  env: { type: 'string', multiple: true },
  secret: { type: 'string', multiple: true },
  memory: { type: 'string' },
  'timeout-ms': { type: 'string' },
  profile: { type: 'string' },
  concurrency: { type: 'string' },
  'egress-allow': { type: 'string', multiple: true },
} as const;

interface SettingValues {
  handler?: string | undefined;
  env?: string[] | undefined;
  secret?: string[] | undefined;
  memory?: string | undefined;
  'timeout-ms'?: string | undefined;
  profile?: string | undefined;
  concurrency?: string | undefined;
  'egress-allow'?: string[] | undefined;
}

function settings(v: SettingValues) {
  if (v.profile !== undefined && v.profile !== 'cloudfront' && v.profile !== 'relaxed')
    throw new UsageError('--profile must be cloudfront or relaxed');
  const out = {
    handler: v.handler,
    memoryMB: optionalInt(v.memory, '--memory'),
    timeoutMs: optionalInt(v['timeout-ms'], '--timeout-ms'),
    profile: v.profile as LimitProfile | undefined,
    concurrency: optionalInt(v.concurrency, '--concurrency'),
    env: pairs(v.env, '--env'),
    secrets: pairs(v.secret, '--secret'),
    egress: v['egress-allow']?.length ? { allow: v['egress-allow'] } : undefined,
  };
  return Object.fromEntries(Object.entries(out).filter(([, x]) => x !== undefined));
}

/** A limit the function sets, or where the value comes from when it does not (null). */
function limit(v: number | null, unit: string): string {
  return v === null ? 'profile default' : `${v} ${unit}`;
}

/** `3 (latest v3)`; `0` before the first publish. */
export function versionsCell(f: Pick<FunctionResource, 'versionCount' | 'latestVersion'>): string {
  return f.latestVersion === null ? String(f.versionCount) : `${f.versionCount} (latest v${f.latestVersion})`;
}

export function renderFunction(f: FunctionResource): string {
  const head = fields([
    ['name', f.name],
    ['runtime', f.runtime],
    ['handler', f.handler],
    ['memory', limit(f.memoryMB, 'MB')],
    ['timeout', limit(f.timeoutMs, 'ms')],
    ['profile', f.profile ?? 'cloudfront (default)'],
    ['concurrency', limit(f.concurrency, 'instances per PoP')],
    ['kvs', f.kvs],
    ['egress', f.egress ? `public addresses + ${f.egress.allow.join(', ')}` : 'public addresses only'],
    ['env', Object.keys(f.env ?? {}).join(', ')],
    ['secrets', Object.keys(f.secrets ?? {}).join(', ')],
    ['$LATEST', `${f.codeSha256?.slice(0, 12)} (${bytes(f.codeSize)})`],
    ['modified', time(f.lastModified)],
    ['etag', f.etag],
  ]);
  const versions = f.versions ?? [];
  if (!versions.length) return head + '\nversions: none (run `verge functions publish ' + f.name + '`)';
  return (
    head +
    '\n\n' +
    table(
      ['VERSION', 'SHA256', 'SIZE', 'CREATED', 'DESCRIPTION'],
      versions.map((v) => [v.version, v.sha256.slice(0, 12), bytes(v.size), time(v.createdAt), v.description]),
    )
  );
}

async function create(argv: string[]): Promise<void> {
  const p = parseCommand(
    argv,
    { ...SETTINGS, code: { type: 'string' }, runtime: { type: 'string' }, publish: { type: 'boolean' } },
    FUNCTIONS_HELP,
  );
  if (!p) return;
  const name = onePositional(p.positionals, 'function NAME');
  const v = p.values;
  if (!v.code) throw new UsageError('--code PATH is required (a file, a folder or a .zip)');
  if (v.runtime !== undefined && !RUNTIME_NAMES.includes(v.runtime))
    throw new UsageError(`--runtime must be one of ${RUNTIME_NAMES.join(', ')}`);
  const resolved = resolveFunction({
    path: v.code,
    ...(v.runtime ? { runtime: v.runtime } : {}),
    ...(v.handler ? { handler: v.handler } : {}),
  });
  if (resolved.runtimeNote) process.stderr.write(`verge functions create: note: ${resolved.runtimeNote}\n`);
  const pkg = await readPackage(v.code);
  const ctx = await connect(v);
  const f = await ctx.client.functions.create({
    ...settings(v),
    name,
    runtime: resolved.runtime as FunctionRuntime,
    handler: resolved.handler,
    code: pkg.code,
  });
  if (!v.publish)
    return emit(
      ctx.format,
      f,
      () => `created function ${f.name} ($LATEST ${f.codeSha256?.slice(0, 12)}, ${bytes(f.codeSize)})`,
    );
  const ver = await ctx.client.functions.publish(name);
  emit(
    ctx.format,
    { function: f, version: ver },
    () => `created function ${f.name} and published version ${ver.version}`,
  );
}

async function updateCode(argv: string[]): Promise<void> {
  const p = parseCommand(
    argv,
    { code: { type: 'string' }, 'if-match': { type: 'string' }, publish: { type: 'boolean' } },
    FUNCTIONS_HELP,
  );
  if (!p) return;
  const name = onePositional(p.positionals, 'function NAME');
  if (!p.values.code) throw new UsageError('--code PATH is required');
  const pkg = await readPackage(p.values.code);
  const ctx = await connect(p.values);
  const f = await ctx.client.functions.updateCode(
    name,
    pkg.code,
    p.values['if-match'] ? { ifMatch: p.values['if-match'] } : {},
  );
  if (!p.values.publish)
    return emit(
      ctx.format,
      f,
      () =>
        `updated $LATEST of ${name} (${f.codeSha256?.slice(0, 12)}, ${bytes(f.codeSize)}); run \`verge functions publish ${name}\` to make a version`,
    );
  const ver = await ctx.client.functions.publish(name);
  emit(ctx.format, { function: f, version: ver }, () => `updated ${name} and published version ${ver.version}`);
}

async function update(argv: string[]): Promise<void> {
  const p = parseCommand(
    argv,
    {
      ...SETTINGS,
      'unset-secret': { type: 'string', multiple: true },
      'no-egress-allow': { type: 'boolean' },
      'if-match': { type: 'string' },
    },
    FUNCTIONS_HELP,
  );
  if (!p) return;
  const name = onePositional(p.positionals, 'function NAME');
  const patch: Record<string, unknown> = settings(p.values);
  for (const k of p.values['unset-secret'] ?? []) patch.secrets = { ...(patch.secrets as object), [k]: null };
  if (p.values['no-egress-allow']) {
    if (patch.egress) throw new UsageError('--egress-allow and --no-egress-allow are alternatives; give one');
    patch.egress = null;
  }
  if (!Object.keys(patch).length) throw new UsageError('nothing to change: give at least one setting');
  const ctx = await connect(p.values);
  const f = await ctx.client.functions.update(
    name,
    patch,
    p.values['if-match'] ? { ifMatch: p.values['if-match'] } : {},
  );
  emit(ctx.format, f, () => `updated ${name}; run \`verge functions publish ${name}\` to make a version with it`);
}

async function publish(argv: string[]): Promise<void> {
  const p = parseCommand(argv, { description: { type: 'string' } }, FUNCTIONS_HELP);
  if (!p) return;
  const name = onePositional(p.positionals, 'function NAME');
  const ctx = await connect(p.values);
  const v = await ctx.client.functions.publish(name, p.values.description);
  emit(ctx.format, v, () => `published ${name}:${v.version} (sha256 ${v.sha256.slice(0, 12)}, ${bytes(v.size)})`);
}

async function list(argv: string[]): Promise<void> {
  const p = parseCommand(argv, {}, FUNCTIONS_HELP);
  if (!p) return;
  const ctx = await connect(p.values);
  const items = await ctx.client.functions.list();
  emit(ctx.format, items, () =>
    items.length === 0
      ? 'no functions yet (create one with `verge functions create NAME --code PATH`)'
      : table(
          ['NAME', 'RUNTIME', 'HANDLER', 'VERSIONS', 'SIZE', 'MODIFIED'],
          items.map((f) => [f.name, f.runtime, f.handler, versionsCell(f), bytes(f.codeSize), ago(f.lastModified)]),
        ),
  );
}

async function get(argv: string[]): Promise<void> {
  const p = parseCommand(argv, {}, FUNCTIONS_HELP);
  if (!p) return;
  const name = onePositional(p.positionals, 'function NAME');
  const ctx = await connect(p.values);
  const f = await ctx.client.functions.get(name);
  emit(ctx.format, f, () => renderFunction(f));
}

async function remove(argv: string[]): Promise<void> {
  const p = parseCommand(argv, { 'if-match': { type: 'string' } }, FUNCTIONS_HELP);
  if (!p) return;
  const name = onePositional(p.positionals, 'function NAME');
  const ctx = await connect(p.values);
  await ctx.client.functions.delete(name, p.values['if-match'] ? { ifMatch: p.values['if-match'] } : {});
  emit(ctx.format, { deleted: name }, () => `deleted function ${name}`);
}

async function testFn(argv: string[]): Promise<void> {
  const p = parseCommand(
    argv,
    { event: { type: 'string' }, version: { type: 'string' }, 'event-file': { type: 'string' } },
    FUNCTIONS_HELP,
  );
  if (!p) return;
  const name = onePositional(p.positionals, 'function NAME');
  const eventType = p.values.event as EventType;
  if (!EVENTS.includes(eventType)) throw new UsageError(`--event must be one of ${EVENTS.join(', ')}`);
  const event = p.values['event-file'] ? JSON.parse(await readFile(p.values['event-file'], 'utf8')) : undefined;
  const version = p.values.version;
  const ctx = await connect(p.values);
  const r = await ctx.client.functions.test(name, {
    eventType,
    ...(event ? { event } : {}),
    ...(version ? { version } : {}),
  });
  // Like `verge invoke`, the result is JSON either way: it is a CloudFront event or response.
  print(JSON.stringify(r, null, 2));
  if (r.error) {
    const code = r.error.code && r.error.code in ERROR_CODES ? (r.error.code as ErrorCode) : 'LAMBDA_EXECUTION_ERROR';
    throw new VergeError(code, `${name}: ${r.error.message}`);
  }
}

export async function functionsCommand(argv: string[]): Promise<void> {
  return dispatch(argv, FUNCTIONS_HELP, {
    create,
    'update-code': updateCode,
    update,
    publish,
    list,
    get,
    delete: remove,
    test: testFn,
  });
}

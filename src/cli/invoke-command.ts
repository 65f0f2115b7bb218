/**
 * @module cli/invoke-command
 * `verge invoke`: run one function on one event with the edge's own runtime, limits and result
 * validator (`createFunctionRuntime().load()` / `.invoke()`), and print what happened as JSON:
 * `{ result, logs, durationMs, coldStart, error: { class, message } }`. Exit code 0 when the
 * function succeeded, 1 when it failed (the class is CloudFront's, spec 5.1), 2 on usage errors.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { resolveFunction } from '../shared/config/functions.js';
import { RUNTIME_NAMES } from '../shared/config/functions.js';
import { egressProblems } from '../shared/config/egress.js';
import { ERROR_CODES, VergeError } from '../shared/errors.js';
import {
  isEventType,
  type CfEvent,
  type CfResponse,
  type EventType,
  type FunctionSource,
  type InvokeResult,
} from '../shared/lambda-edge/index.js';
import { print } from '../shared/log.js';
import { createFunctionRuntime } from '../runtime/host/index.js';
import { parse, UsageError } from './args.js';
import {
  bodyMember,
  buildEvent,
  buildRequest,
  parseEnvFlag,
  parseHeaderFlag,
  splitEventInput,
  type EventSpec,
} from './fn-events.js';

export const INVOKE_HELP = `verge invoke PATH --event TYPE [options]

Runs one function on one event with the same runtime, limits and validator as the edge, and
prints JSON: { "result", "logs", "durationMs", "coldStart", "error": { "class", "message" } }.
Exit code 0 on success, 1 when the function failed (error.class is CloudFront's class:
LambdaExecutionError, LambdaValidationError, LambdaLimitExceeded, FunctionExecutionError, ...).

  PATH                  a .js/.mjs/.cjs/.ts file, a folder (with node_modules) or a .zip
  --event TYPE          viewer-request | origin-request | origin-response | viewer-response
                        (optional when --request holds a whole event)
  --request FILE        a whole event ({"Records":[...]}, e.g. from \`verge generate-event\`), a CloudFront
                        Functions test event (the JSON \`aws cloudfront test-function\` takes; the event type
                        comes from its context.eventType) or a request object
  --url URL             build the request from a URL (Host and querystring from it; clientIp 203.0.113.10)
  --method M            request method (default GET)
  --header 'K: V'       a request header; repeatable
  --body S              the request body (the event carries it only with --include-body, as on the edge)
  --include-body        add the body member to the event (IncludeBody, spec 1.9)
  --response FILE       the response for origin-response / viewer-response (default: a 200 text/html)
  --status N            status of the default response (default 200)
  --env K=V             an environment variable (process.env); repeatable
  --profile P           cloudfront (default) | relaxed
  --handler H           file.export (default: <file>.handler for a file, index.handler for a folder)
  --runtime R           nodejs (default) | python | cloudfront-js-2.0 | cloudfront-js-1.0, or an AWS
                        identifier (nodejs18.x, nodejs20.x, nodejs22.x, python3.9 … python3.13)
  --kvs ID=FILE         CloudFront Functions: a KeyValueStore backed by a JSON file
  --timeout-ms N        override the profile's timeout
  --egress-allow ENTRY  let outbound requests reach a host, an address or a CIDR block beyond
                        public addresses (127.0.0.1:8080, origin.internal, 10.0.0.0/8); repeatable
`;

const OPTIONS = {
  event: { type: 'string' },
  request: { type: 'string' },
  url: { type: 'string' },
  method: { type: 'string' },
  header: { type: 'string', multiple: true },
  body: { type: 'string' },
  'include-body': { type: 'boolean' },
  response: { type: 'string' },
  status: { type: 'string' },
  env: { type: 'string', multiple: true },
  profile: { type: 'string' },
  handler: { type: 'string' },
  runtime: { type: 'string' },
  kvs: { type: 'string' },
  'timeout-ms': { type: 'string' },
  'egress-allow': { type: 'string', multiple: true },
  help: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parse<typeof OPTIONS>>['values'];

export interface InvokeOutput {
  result: unknown;
  logs: InvokeResult['logs'];
  durationMs: number;
  coldStart: boolean;
  error: { class: string; code: string; message: string } | null;
  computeUtilization?: number;
  /** CloudFront Functions: the origin chosen by the origin helpers, as the edge would use it. */
  origin?: NonNullable<Extract<InvokeResult, { ok: true }>['originOverride']>;
  /** What the user should know about how the function ran (an AWS runtime mapped to Verge's). */
  notes?: string[];
}

export async function invokeCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, OPTIONS, true);
  if (values.help) return print(INVOKE_HELP);
  if (positionals.length !== 1) throw new UsageError('give exactly one function PATH (a file, a folder or a .zip)');
  const out = await runInvoke(positionals[0]!, values);
  print(JSON.stringify(out, null, 2));
  // main() turns a VergeError into exit code 1 and one line on stderr.
  if (out.error) throw new VergeError(out.error.code as keyof typeof ERROR_CODES, out.error.message);
}

/** Load, invoke once, unload. Exported for tests and for `verge dev`-style tooling. */
export async function runInvoke(path: string, values: Values): Promise<InvokeOutput> {
  const { event, eventType } = await eventFrom(values);
  const { source, notes } = await sourceFrom(path, values);
  const runtime = createFunctionRuntime();
  try {
    const fn = await runtime.load(source, { eventTypes: [eventType] });
    const r = await runtime.invoke(fn, { eventType, event });
    return { ...toOutput(r), ...(notes.length ? { notes } : {}) };
  } finally {
    await runtime.close();
  }
}

function toOutput(r: InvokeResult): InvokeOutput {
  const common = {
    logs: r.logs,
    durationMs: Math.round(r.durationMs * 1000) / 1000,
    coldStart: r.coldStart,
    ...(r.computeUtilization !== undefined ? { computeUtilization: r.computeUtilization } : {}),
  };
  // The origin a CloudFront function chose (updateRequestOrigin, selectRequestOriginById,
  // createRequestOriginGroup): part of what it decided, beside the request it returned.
  if (r.ok)
    return { result: r.value, ...(r.originOverride ? { origin: r.originOverride } : {}), ...common, error: null };
  return { result: null, ...common, error: { class: ERROR_CODES[r.code].xCache, code: r.code, message: r.message } };
}

async function sourceFrom(path: string, v: Values): Promise<{ source: FunctionSource; notes: string[] }> {
  const runtime = v.runtime;
  if (runtime !== undefined && !RUNTIME_NAMES.includes(runtime))
    throw new UsageError(`--runtime must be one of ${RUNTIME_NAMES.join(', ')}`);
  if (v.profile !== undefined && v.profile !== 'cloudfront' && v.profile !== 'relaxed')
    throw new UsageError('--profile must be cloudfront or relaxed');
  const r = resolveFunction({ path, ...(v.handler ? { handler: v.handler } : {}), ...(runtime ? { runtime } : {}) });
  const abs = resolve(path);
  const src: FunctionSource = {
    id: abs,
    name: r.name.replace(/[^A-Za-z0-9_-]/g, '_'),
    version: '$LATEST',
    runtime: r.runtime,
    handler: r.handler,
    code: { path: abs },
  };
  if (v.env?.length) src.env = Object.fromEntries(v.env.map(parseEnvFlag));
  if (v.profile) src.profile = v.profile;
  if (v['timeout-ms'] !== undefined) {
    const n = Number(v['timeout-ms']);
    if (!Number.isInteger(n) || n < 1) throw new UsageError('--timeout-ms must be a positive whole number');
    src.overrides = { timeoutMs: n };
  }
  if (v['egress-allow']?.length) {
    const bad = egressProblems({ allow: v['egress-allow'] }, '--egress-allow')[0];
    if (bad) throw new UsageError(`--egress-allow: ${bad.message}`);
    src.egress = { allow: v['egress-allow'] };
  }
  if (v.kvs) {
    const i = v.kvs.indexOf('=');
    if (i <= 0) throw new UsageError('--kvs must look like ID=FILE');
    src.kvs = { id: v.kvs.slice(0, i), path: resolve(v.kvs.slice(i + 1)) };
  }
  return { source: src, notes: r.runtimeNote ? [r.runtimeNote] : [] };
}

async function readJsonFile(file: string, flag: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${flag} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new UsageError(`${flag} ${file} is not JSON: ${(e as Error).message}`);
  }
}

async function eventFrom(v: Values): Promise<{ event: CfEvent; eventType: EventType }> {
  if (v.request && (v.url || v.method || v.header?.length || v.body !== undefined)) {
    throw new UsageError('--request FILE and --url/--method/--header/--body are alternatives; give one');
  }
  const fromFile = v.request
    ? splitEventInput(await readJsonFile(v.request, '--request'), `--request ${v.request}`)
    : undefined;
  const eventType = v.event ?? fromFile?.eventType;
  if (!isEventType(eventType)) {
    throw new UsageError('--event must be viewer-request, origin-request, origin-response or viewer-response');
  }
  const status = v.status === undefined ? undefined : Number(v.status);
  if (status !== undefined && (!Number.isInteger(status) || status < 100 || status > 599))
    throw new UsageError('--status must be 100–599');
  const spec: EventSpec = {
    eventType,
    ...(v.url ? { url: v.url } : {}),
    ...(v.method ? { method: v.method } : {}),
    ...(v.header?.length ? { headers: v.header.map(parseHeaderFlag) } : {}),
    ...(v.body !== undefined ? { body: v.body } : {}),
    ...(v['include-body'] ? { includeBody: true } : {}),
    ...(status !== undefined ? { status } : {}),
  };
  let request = fromFile?.request ?? buildRequest(spec);
  if (fromFile && v['include-body'] && !request.body) request = { ...request, body: bodyMember(Buffer.alloc(0)) };
  const responseFile = v.response
    ? responseFrom(await readJsonFile(v.response, '--response'), `--response ${v.response}`)
    : undefined;
  return { event: buildEvent(spec, request, responseFile ?? fromFile?.response), eventType };
}

/** `--response FILE`: a response object, or a whole event whose response is taken. */
function responseFrom(json: unknown, what: string): CfResponse | undefined {
  const isEvent = typeof json === 'object' && json !== null && 'Records' in json;
  const wrapped = isEvent ? json : { Records: [{ cf: { request: {}, response: json } }] };
  const r = splitEventInput(wrapped, what).response;
  if (!r) throw new UsageError(`${what} holds no response`);
  return r;
}

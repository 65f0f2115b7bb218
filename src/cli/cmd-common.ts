/**
 * @module cli/cmd-common
 * What every control-plane command shares: the connection flags (`--url`, `--token`,
 * `--output`), verb dispatch for noun-verb commands, and turning a `ClientError` into a
 * `VergeError` whose message says what to do next (main prints it and exits 1).
 */
import { createClient, formatClientError, isClientError, type ClientError, type VergeClient } from '../client/index.js';
import { ERROR_CODES, VergeError, type ErrorCode } from '../shared/errors.js';
import { print } from '../shared/log.js';
import { request as undiciRequest } from 'undici';
import { parse, UsageError } from './args.js';
import { outputFormat, type OutputFormat } from './output.js';
import { resolveConnection } from './profile.js';
import type { FetchLike } from '../client/index.js';

/** Options every API command accepts. */
export const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const CONNECTION_HELP = `Connection (every command):
  --url URL             control plane URL (else VERGE_URL, else the \`verge login\` profile, else http://127.0.0.1:8080)
  --token T             API token (else VERGE_TOKEN, else the profile)
  --output json|table   output format (default table)`;

export interface Ctx {
  client: VergeClient;
  format: OutputFormat;
  url: string;
}

/** A fetch over undici's `request` (the fastest client here, research/deps.md section 8). */
export const undiciFetch: FetchLike = async (url, init) => {
  const res = await undiciRequest(url, {
    method: init.method as 'GET',
    headers: init.headers,
    ...(init.body !== undefined ? { body: init.body } : {}),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  const headers = res.headers;
  const one = (name: string) => {
    const v = headers[name.toLowerCase()];
    return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
  };
  return {
    status: res.statusCode,
    headers: { get: one },
    text: () => res.body.text(),
    get body() {
      return ReadableStreamFrom(res.body);
    },
  };
};

function ReadableStreamFrom(body: AsyncIterable<Buffer>): ReadableStream<Uint8Array> {
  const it = body[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      const { value, done } = await it.next();
      if (done) ctrl.close();
      else ctrl.enqueue(new Uint8Array(value));
    },
    async cancel() {
      await it.return?.();
    },
  });
}

export async function connect(values: {
  url?: string | undefined;
  token?: string | undefined;
  output?: string | undefined;
}): Promise<Ctx> {
  const format = outputFormat(values.output);
  const conn = await resolveConnection(values);
  return {
    client: createClient({ url: conn.url, ...(conn.token ? { token: conn.token } : {}), fetch: undiciFetch }),
    format,
    url: conn.url,
  };
}

/**
 * The API's hints in its messages ("GET /api/v1/functions lists them"), in the CLI's words: a
 * CLI user should be told the command to run. Unlisted routes stay as they are.
 */
const API_TO_CLI: ReadonlyArray<[RegExp, string]> = [
  [/POST \/api\/v1\/functions\/([A-Za-z0-9_-]+)\/publish/g, '`verge functions publish $1`'],
  [/GET \/api\/v1\/functions\b/g, '`verge functions list`'],
  [/GET \/api\/v1\/distributions\b/g, '`verge distributions list`'],
  [/GET \/api\/v1\/tokens\b/g, '`verge tokens list`'],
  [/POST \/api\/v1\/tokens\b/g, '`verge tokens create`'],
  [/GET \/api\/v1\/public-keys\b/g, '`verge public-keys list`'],
  [/GET \/api\/v1\/key-groups\b/g, '`verge key-groups list`'],
  [/POST \/api\/v1\/key-groups \(verge key-groups create\)/g, '`verge key-groups create`'],
  [/GET \/api\/v1\/pops\b/g, '`verge pops list`'],
  [/GET \/api\/v1\/deployments\b/g, '`verge deploy history`'],
  [/POST \/api\/v1\/triggers\b/g, '`verge triggers add`'],
];

export function cliWords(message: string): string {
  return API_TO_CLI.reduce((m, [re, cli]) => m.replace(re, cli), message);
}

/** A ClientError as a VergeError: the server's code when it is registered, the hint appended. */
export function toCliError(e: ClientError): VergeError {
  const code: ErrorCode = e.code in ERROR_CODES ? (e.code as ErrorCode) : 'CONTROL_UNREACHABLE';
  const text = cliWords(formatClientError(e).replace(/^(\d+ )?[A-Z0-9_]+: /, ''));
  return new VergeError(code, text, { cause: e, details: { status: e.status, fields: e.fields } });
}

export type Verb = (argv: string[]) => Promise<void>;

/** `verge NOUN VERB ...`: runs the verb, printing help for none or `--help`. */
export async function dispatch(argv: string[], help: string, verbs: Record<string, Verb>): Promise<void> {
  const [verb, ...rest] = argv;
  if (!verb || verb === '--help' || verb === '-h' || verb === 'help') return print(help.trimEnd());
  const run = verbs[verb];
  if (!run) throw new UsageError(`unknown subcommand "${verb}"; one of: ${Object.keys(verbs).join(', ')}`);
  return apiErrors(() => run(rest));
}

export async function apiErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isClientError(e)) throw toCliError(e);
    throw e;
  }
}

/** Parse options plus the connection options; `--help` prints `help` and returns undefined. */
export function parseCommand<
  O extends Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>,
>(argv: string[], options: O, help: string) {
  const parsed = parse(argv, { ...CONNECTION_OPTIONS, ...options }, true);
  if ((parsed.values as { help?: boolean }).help) {
    print(help.trimEnd());
    return undefined;
  }
  return parsed;
}

/** `K=V` pairs from repeatable flags. */
export function pairs(list: string[] | undefined, flag: string): Record<string, string> | undefined {
  if (!list?.length) return undefined;
  const out: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new UsageError(`${flag} takes KEY=VALUE, got "${kv}"`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

export function onePositional(positionals: string[], what: string): string {
  if (positionals.length !== 1) throw new UsageError(`give exactly one ${what}`);
  return positionals[0]!;
}

export function optionalInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} must be a whole number, got "${v}"`);
  return n;
}

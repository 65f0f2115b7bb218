/**
 * @module cli/cmd-logs
 * `verge logs query|tail`: function and access logs from every PoP in one place, filtered by
 * function, version, distribution, PoP, status, request id and time (docs/api.md `GET /logs`,
 * `GET /logs/tail` as server-sent events).
 */
import type { LogFilter, LogRecord } from '../client/index.js';
import { print } from '../shared/log.js';
import { UsageError } from './args.js';
import { CONNECTION_HELP, connect, dispatch, optionalInt, parseCommand } from './cmd-common.js';
import { table, time } from './output.js';

export const LOGS_HELP = `verge logs <verb> [filters]

  query [filters] [--limit N]       stored records, newest first
  tail [filters] [--duration S]     live records from every PoP until Ctrl-C (or S seconds)

Filters:
  --function NAME[:VERSION]   --version N   --distribution ID   --pop ID
  --status CODE   --request-id ID   --type function|function-error|access
  --since 10m|2h|ISO-TIME   --until ...

${CONNECTION_HELP}
`;

const FILTERS = {
  function: { type: 'string' },
  version: { type: 'string' },
  distribution: { type: 'string' },
  pop: { type: 'string' },
  status: { type: 'string' },
  'request-id': { type: 'string' },
  type: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
} as const;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `10m` (ago), an ISO time or epoch ms, as epoch ms. */
export function parseSince(v: string | undefined, flag: string, now = Date.now()): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(v.trim());
  if (m) return Math.round(now - Number(m[1]) * UNITS[m[2]!]!);
  if (/^\d{10,}$/.test(v)) return Number(v);
  const t = Date.parse(v);
  if (Number.isNaN(t))
    throw new UsageError(`${flag} takes a duration like 10m, 2h, 30s or a time like 2026-01-01T10:00:00Z, got "${v}"`);
  return t;
}

type FilterValues = { [K in keyof typeof FILTERS]?: string | undefined };

export function filterFrom(v: FilterValues): LogFilter {
  let fn = v.function;
  let version = v.version;
  const m = fn ? /^(.+):(\d+|\$LATEST)$/.exec(fn) : null;
  if (m) [fn, version] = [m[1], version ?? m[2]];
  if (v.type !== undefined && !['function', 'function-error', 'access'].includes(v.type))
    throw new UsageError('--type must be function, function-error or access');
  const f: LogFilter = {
    function: fn,
    version,
    distribution: v.distribution,
    pop: v.pop,
    status: v.status,
    requestId: v['request-id'],
    type: v.type as LogFilter['type'],
    since: parseSince(v.since, '--since'),
    until: parseSince(v.until, '--until'),
  };
  return Object.fromEntries(Object.entries(f).filter(([, x]) => x !== undefined)) as LogFilter;
}

function who(r: LogRecord): string {
  if (r.functionName) return `${r.functionName}:${r.functionVersion ?? '?'}`;
  return r.distributionId ?? '';
}

export function logLine(r: LogRecord): string {
  const level =
    r.type === 'access'
      ? String(r.status ?? '')
      : r.type === 'function-error'
        ? 'ERROR'
        : (r.level ?? 'info').toUpperCase();
  return `${time(r.time)} ${r.pop} ${who(r)} ${r.requestId} ${level} ${r.message}`;
}

async function query(argv: string[]): Promise<void> {
  const p = parseCommand(argv, { ...FILTERS, limit: { type: 'string' } }, LOGS_HELP);
  if (!p) return;
  const filter = filterFrom(p.values);
  const limit = optionalInt(p.values.limit, '--limit');
  const ctx = await connect(p.values);
  const items = await ctx.client.logs.query({ ...filter, ...(limit !== undefined ? { limit } : {}) });
  if (ctx.format === 'json') return print(JSON.stringify(items, null, 2));
  if (!items.length)
    return print('no log records match (they arrive from the PoPs within a few seconds; widen --since?)');
  print(
    table(
      ['TIME', 'POP', 'TYPE', 'SOURCE', 'STATUS/LEVEL', 'REQUEST-ID', 'MESSAGE'],
      items.map((r) => [time(r.time), r.pop, r.type, who(r), r.status ?? r.level, r.requestId, r.message]),
    ),
  );
}

async function tail(argv: string[]): Promise<void> {
  const p = parseCommand(argv, { ...FILTERS, duration: { type: 'string' } }, LOGS_HELP);
  if (!p) return;
  const filter = filterFrom(p.values);
  const duration = optionalInt(p.values.duration, '--duration');
  const ctx = await connect(p.values);
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  const timer = duration !== undefined ? setTimeout(stop, duration * 1000) : undefined;
  try {
    for await (const r of ctx.client.logs.tail(filter, ac.signal))
      print(ctx.format === 'json' ? JSON.stringify(r) : logLine(r));
  } finally {
    clearTimeout(timer);
    process.off('SIGINT', stop);
  }
}

export async function logsCommand(argv: string[]): Promise<void> {
  return dispatch(argv, LOGS_HELP, { query, tail });
}

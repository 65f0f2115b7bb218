/**
 * @module control/api/routes/telemetry
 * Logs and metrics: the edges' batch uploads (idempotent by batchId, DESIGN 4: delivered at
 * least once), `GET /logs` with filters, `GET /logs/tail` (server-sent `log` events as batches
 * arrive), and `GET /metrics` time series aggregated across PoPs.
 */
import { LogBatchSchema, LogRecordSchema, MetricBatchSchema } from '../../../shared/replication/schemas.js';
import { BatchAnswerSchema, MetricsAnswerSchema, eventStream, itemsOf } from '../../../shared/api/answers.js';
import type { App } from '../../app.js';
import type { LogFilter } from '../../store/types.js';
import { toSeries } from '../../telemetry/metrics.js';
import { route, type QueryParam, type Route } from '../route.js';
import { validationError } from '../../domain/validation.js';
import { actingPop } from './edge.js';

const LOG_QUERY: QueryParam[] = [
  { name: 'function', description: 'function name' },
  { name: 'version', description: 'function version' },
  { name: 'distribution', description: 'distribution id' },
  { name: 'pop', description: 'PoP id' },
  { name: 'status', description: 'HTTP status (access logs)', type: 'integer' },
  { name: 'requestId', description: 'request id' },
  { name: 'type', description: 'function | function-error | access' },
  { name: 'since', description: 'epoch ms or ISO time' },
  { name: 'until', description: 'epoch ms or ISO time' },
  { name: 'limit', description: 'at most this many (default 100, max 10000)', type: 'integer' },
];

export function parseTime(v: string | null, name: string): number | undefined {
  if (v === null || v === '') return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n))
    throw validationError([{ path: `$.${name}`, message: 'must be epoch milliseconds or an ISO 8601 time' }]);
  return n;
}

export function parseDuration(v: string | null, name: string, fallback: number): number {
  if (v === null || v === '') return fallback;
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(v);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m?.[2] ?? 'ms']!;
  const n = m ? Number(m[1]) * unit : NaN;
  if (!(n > 0))
    throw validationError([{ path: `$.${name}`, message: 'must be a duration such as 10000, 10s, 1m or 1h' }]);
  return n;
}

function logFilter(q: URLSearchParams): LogFilter {
  const type = q.get('type') ?? undefined;
  if (type !== undefined && !['function', 'function-error', 'access'].includes(type)) {
    throw validationError([{ path: '$.type', message: 'must be function, function-error or access' }]);
  }
  const status = q.get('status');
  if (status !== null && !/^\d{3}$/.test(status))
    throw validationError([{ path: '$.status', message: 'must be an HTTP status' }]);
  const limit = q.get('limit') === null ? 100 : Number(q.get('limit'));
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
    throw validationError([{ path: '$.limit', message: 'must be 1–10000' }]);
  const f: LogFilter = { limit };
  for (const k of ['function', 'version', 'distribution', 'pop', 'requestId'] as const) if (q.get(k)) f[k] = q.get(k)!;
  if (type) f.type = type as LogFilter['type'];
  if (status) f.status = Number(status);
  const since = parseTime(q.get('since'), 'since');
  const until = parseTime(q.get('until'), 'until');
  if (since !== undefined) f.since = since;
  if (until !== undefined) f.until = until;
  return f;
}

export function telemetryRoutes(app: App): Route[] {
  const { store, telemetry, clock, hub } = app;
  return [
    route({
      method: 'POST',
      path: '/edge/logs',
      access: 'edge',
      summary: 'A batch of function and access log records (idempotent by batchId)',
      body: LogBatchSchema,
      success: { status: 200, schema: BatchAnswerSchema },
      handler: async (ctx) => {
        const b = ctx.body;
        const pop = actingPop(ctx, b.pop);
        await store.pops.touch(pop, clock.now());
        // The batch's PoP is the authenticated one: records cannot speak for another PoP.
        const records = b.records.map((r) => ({ ...r, pop }));
        const fresh = await telemetry.submit({ kind: 'logs', batchId: b.batchId, pop, at: clock.now(), records });
        if (fresh && hub.tailing) hub.logs(records);
        return { status: 200, body: { accepted: fresh ? records.length : 0, duplicate: !fresh } };
      },
    }),
    route({
      method: 'POST',
      path: '/edge/metrics',
      access: 'edge',
      summary: 'A batch of metric points (idempotent by batchId)',
      body: MetricBatchSchema,
      success: { status: 200, schema: BatchAnswerSchema },
      handler: async (ctx) => {
        const b = ctx.body;
        const pop = actingPop(ctx, b.pop);
        await store.pops.touch(pop, clock.now());
        const fresh = await telemetry.submit({
          kind: 'metrics',
          batchId: b.batchId,
          pop,
          at: clock.now(),
          points: b.points,
        });
        return { status: 200, body: { accepted: fresh ? b.points.length : 0, duplicate: !fresh } };
      },
    }),
    {
      method: 'GET',
      path: '/logs',
      access: 'admin',
      summary: 'Query log records from every PoP, newest first',
      query: LOG_QUERY,
      success: { status: 200, schema: itemsOf(LogRecordSchema) },
      handler: async ({ query }) => ({
        status: 200,
        body: { items: (await telemetry.queryLogs(logFilter(query))).map(({ id: _id, ...r }) => r) },
      }),
    },
    {
      method: 'GET',
      path: '/logs/tail',
      access: 'admin',
      summary: 'Server-sent `log` events for matching records as they arrive',
      query: LOG_QUERY.filter((p) => p.name !== 'limit'),
      success: { status: 200, contentType: 'text/event-stream', schema: eventStream('`log` events, each one LogRecord (components.schemas.LogRecord)') }, // prettier-ignore
      handler: ({ query, eventStream }) => {
        const { limit: _limit, ...filter } = logFilter(query);
        hub.addTailer(filter, eventStream());
        return { stream: true };
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      access: 'admin',
      summary: 'Time series per function version or distribution, across PoPs (or per PoP with by=pop)',
      query: [
        { name: 'kind', description: 'function (default) | distribution' },
        { name: 'name', description: 'function name' },
        { name: 'version', description: 'function version' },
        { name: 'distribution', description: 'distribution id' },
        { name: 'pop', description: 'only this PoP' },
        { name: 'by', description: '"pop" for one series per PoP' },
        { name: 'since', description: 'epoch ms or ISO time (default: an hour before until)' },
        { name: 'until', description: 'epoch ms or ISO time (default: now)' },
        { name: 'step', description: 'bucket width: ms or 10s, 1m, 1h (default 1m)' },
      ],
      success: { status: 200, schema: MetricsAnswerSchema },
      handler: async ({ query }) => {
        const kind = query.get('kind') ?? 'function';
        if (kind !== 'function' && kind !== 'distribution')
          throw validationError([{ path: '$.kind', message: 'must be function or distribution' }]);
        const until = parseTime(query.get('until'), 'until') ?? clock.now();
        const since = parseTime(query.get('since'), 'since') ?? until - 3_600_000;
        const stepMs = parseDuration(query.get('step'), 'step', 60_000);
        if (since >= until) throw validationError([{ path: '$.since', message: 'must be before until' }]);
        if ((until - since) / stepMs > 2000)
          throw validationError([{ path: '$.step', message: 'gives more than 2000 points: use a larger step' }]);
        const labels: Record<string, string> = {};
        for (const [param, label] of kind === 'function'
          ? [
              ['name', 'name'],
              ['version', 'version'],
            ]
          : [['distribution', 'distribution']]) {
          const v = query.get(param!);
          if (v) labels[label!] = v;
        }
        const pop = query.get('pop') ?? undefined;
        const points = await telemetry.queryPoints({ kind, since, until, labels, ...(pop ? { pop } : {}) });
        const series = toSeries(points, { kind, since, until, stepMs, byPop: query.get('by') === 'pop' });
        return { status: 200, body: { kind, since, until, step: stepMs, series } };
      },
    },
  ];
}

/**
 * @module client/operations
 * The operational side of docs/api.md: deployments (snapshot history, rollback), PoPs,
 * tokens, logs (query and live tail over SSE), metrics and health.
 */
import type { Transport } from './http.js';
import { seg } from './http.js';
import { readSse } from './sse.js';
import type {
  CreatedToken,
  Deployment,
  Health,
  Items,
  LogFilter,
  LogRecord,
  MetricQuery,
  MetricSeries,
  Pop,
  Token,
} from './types.js';

export function deploymentsApi(t: Transport) {
  return {
    /** Newest first. */
    async list(): Promise<Deployment[]> {
      return (await t.request<Items<Deployment>>('GET', '/deployments')).value.items;
    },
    async get(version: number): Promise<Deployment> {
      return (await t.request<Deployment>('GET', `/deployments/${seg(version)}`)).value;
    },
    /** Makes a new snapshot whose content equals `version`'s; returns that new deployment. */
    async rollback(version: number): Promise<Deployment> {
      return (await t.request<Deployment>('POST', '/deployments/rollback', { body: { version } })).value;
    },
  };
}

export function popsApi(t: Transport) {
  return {
    async list(): Promise<Pop[]> {
      return (await t.request<Items<Pop>>('GET', '/pops')).value.items;
    },
    /** Forget a PoP that is gone for good: its edge tokens are revoked and distributions stop waiting for it. */
    async remove(id: string): Promise<void> {
      await t.request('DELETE', `/pops/${seg(id)}`);
    },
  };
}

export function tokensApi(t: Transport) {
  return {
    async create(input: { name: string; kind: 'admin' | 'edge'; pop?: string }): Promise<CreatedToken> {
      return (await t.request<CreatedToken>('POST', '/tokens', { body: input })).value;
    },
    async list(): Promise<Token[]> {
      return (await t.request<Items<Token>>('GET', '/tokens')).value.items;
    },
    async revoke(id: string): Promise<void> {
      await t.request('DELETE', `/tokens/${seg(id)}`);
    },
  };
}

function logQuery(f: LogFilter): Record<string, string | number | undefined> {
  const { function: fn, version, distribution, pop, status, requestId, type, since, until, limit } = f;
  return { function: fn, version, distribution, pop, status, requestId, type, since, until, limit };
}

export function logsApi(t: Transport) {
  return {
    /** Newest first. */
    async query(filter: LogFilter = {}): Promise<LogRecord[]> {
      return (await t.request<Items<LogRecord>>('GET', '/logs', { query: logQuery(filter) })).value.items;
    },
    /**
     * Live records matching `filter` as they arrive, until `signal` aborts or the server ends
     * the stream.
     * @example for await (const r of client.logs.tail({ function: 'auth' }, ac.signal)) print(r.message);
     */
    async *tail(filter: LogFilter = {}, signal?: AbortSignal): AsyncGenerator<LogRecord> {
      const res = await t.open('/logs/tail', { query: logQuery(filter), ...(signal ? { signal } : {}) });
      if (!res.body) return;
      for await (const ev of readSse(res.body, signal)) {
        if (ev.event !== 'log') continue;
        yield JSON.parse(ev.data) as LogRecord;
      }
    },
  };
}

export function metricsApi(t: Transport) {
  return {
    async query(q: MetricQuery): Promise<MetricSeries[]> {
      const { kind, name, version, distribution, pop, since, until, step } = q;
      const query = { kind, name, version, distribution, pop, since, until, step };
      return (await t.request<{ series: MetricSeries[] }>('GET', '/metrics', { query })).value.series;
    },
  };
}

export function systemApi(t: Transport) {
  return {
    async health(): Promise<Health> {
      return (await t.request<Health>('GET', '/healthz')).value;
    },
    async openapi(): Promise<Record<string, unknown>> {
      return (await t.request<Record<string, unknown>>('GET', '/openapi.json')).value;
    },
  };
}

/**
 * @module console/pages/logs
 * Logs from every PoP: the recent records plus a live tail (`GET /logs/tail`, read with fetch
 * streaming so the token stays in the Authorization header, paused and resumed at will),
 * filtered by distribution, function, version, PoP, status, record type, time window and
 * request id; and the request view for one request id.
 */
import { useEffect, useState } from 'react';
import type { LogFilter, LogRecord } from '../api.js';
import { go, href } from '../router.js';
import { Badge, Field, FormError, useClient, useLoad } from '../ui.js';
import { RequestView } from './request-view.js';

const MAX_LINES = 500;

interface Filters {
  distribution: string;
  type: string;
  since: string;
  function: string;
  version: string;
  pop: string;
  status: string;
  requestId: string;
}

function toLogFilter(f: Filters): LogFilter {
  const out: LogFilter = {};
  if (f.distribution) out.distribution = f.distribution;
  if (f.type) out.type = f.type as LogFilter['type'] & string;
  // The API takes epoch ms: the window counts back from when the filter is applied.
  if (f.since) out.since = Date.now() - Number(f.since) * 60_000;
  if (f.function.trim()) out.function = f.function.trim();
  if (f.version.trim()) out.version = f.version.trim();
  if (f.pop.trim()) out.pop = f.pop.trim();
  if (f.status.trim()) out.status = f.status.trim();
  if (f.requestId.trim()) out.requestId = f.requestId.trim();
  return out;
}

export function LogsPage(props: { requestId?: string }) {
  if (props.requestId) return <RequestView requestId={props.requestId} />;
  return <LogTail />;
}

function LogTail() {
  const client = useClient();
  const [draft, setDraft] = useState<Filters>({
    distribution: '',
    type: '',
    since: '',
    function: '',
    version: '',
    pop: '',
    status: '',
    requestId: '',
  });
  const [paused, setPaused] = useState(false);
  const dists = useLoad((c) => c.distributions.list(), []);
  const pops = useLoad((c) => c.pops.list(), []);
  const [filters, setFilters] = useState<Filters>(draft);
  const [lines, setLines] = useState<LogRecord[]>([]);
  const [live, setLive] = useState<'connecting' | 'live' | 'stopped'>('connecting');
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    const ac = new AbortController();
    const filter = toLogFilter(filters);
    if (paused) {
      setLive('stopped');
      return;
    }
    setLines([]);
    setError(undefined);
    setLive('connecting');
    void (async () => {
      try {
        const recent = await client.logs.query({ ...filter, limit: 200 });
        if (ac.signal.aborted) return;
        setLines(recent);
        setLive('live');
        // A batch that lands between the query and the tail's connection would be missed:
        // re-query now and then and merge what the tail did not bring.
        const poll = setInterval(() => {
          client.logs.query({ ...filter, limit: 200 }).then(
            (more) => !ac.signal.aborted && setLines((prev) => mergeLines(prev, more)),
            () => {},
          );
        }, 3000);
        ac.signal.addEventListener('abort', () => clearInterval(poll));
        for await (const r of client.logs.tail(filter, ac.signal)) {
          setLines((prev) => mergeLines(prev, [r]));
        }
        clearInterval(poll);
        if (!ac.signal.aborted) setLive('stopped');
      } catch (e) {
        if (ac.signal.aborted) return;
        setError(e);
        setLive('stopped');
      }
    })();
    return () => ac.abort();
  }, [client, filters, paused]);

  const set = (k: keyof Filters) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) =>
    setDraft({ ...draft, [k]: e.target.value });
  return (
    <div className="stack">
      <div className="head">
        <h1 className="grow">Logs</h1>
        <Badge
          value={paused ? 'paused' : live}
          tone={live === 'live' ? 'ok' : live === 'stopped' && !paused ? 'bad' : 'warn'}
        />
        <button className="btn" onClick={() => setPaused(!paused)}>
          {paused ? 'Resume live tail' : 'Pause'}
        </button>
      </div>
      <form
        className="card"
        aria-label="Log filters"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters(draft);
        }}
      >
        <div className="form-row">
          <Field label="Distribution" error={error} path="$.distribution">
            <select name="distribution" value={draft.distribution} onChange={set('distribution')}>
              <option value="">any</option>
              {(dists.data ?? []).map((d) => (
                <option key={d.id}>{d.id}</option>
              ))}
            </select>
          </Field>
          <Field label="Type" error={error} path="$.type">
            <select name="type" value={draft.type} onChange={set('type')}>
              <option value="">any</option>
              <option value="access">access log</option>
              <option value="function">function output</option>
              <option value="function-error">function error</option>
            </select>
          </Field>
          <Field label="Since" error={error} path="$.since">
            <select name="since" value={draft.since} onChange={set('since')}>
              <option value="">recent</option>
              <option value="5">5 minutes</option>
              <option value="15">15 minutes</option>
              <option value="60">1 hour</option>
              <option value="1440">24 hours</option>
            </select>
          </Field>
          <Field label="Function" error={error} path="$.function">
            <input name="function" value={draft.function} onChange={set('function')} />
          </Field>
          <Field label="Version" error={error} path="$.version">
            <input name="version" value={draft.version} onChange={set('version')} />
          </Field>
          <Field label="PoP" error={error} path="$.pop">
            <select name="pop" value={draft.pop} onChange={set('pop')}>
              <option value="">any</option>
              {(pops.data ?? []).map((p) => (
                <option key={p.id}>{p.id}</option>
              ))}
            </select>
          </Field>
          <Field label="Status" error={error} path="$.status">
            <input name="status" value={draft.status} onChange={set('status')} placeholder="e.g. 404" />
          </Field>
          <Field label="Request id" error={error} path="$.requestId">
            <input name="requestId" value={draft.requestId} onChange={set('requestId')} />
          </Field>
        </div>
        <button className="btn primary">Apply filters</button>
      </form>
      <FormError
        error={error}
        claimed={['$.distribution', '$.type', '$.since', '$.function', '$.version', '$.pop', '$.status', '$.requestId']}
      />
      <section className="card flush">
        <div className="log-list" role="log" aria-live="polite">
          {lines.length === 0 && (
            <div className="empty">No records yet. Requests through any PoP appear here as they happen.</div>
          )}
          {lines.map((r, i) => (
            <div
              key={`${r.time}-${r.requestId}-${i}`}
              className="line"
              data-request-id={r.requestId}
              onClick={() => r.requestId && go(`/logs/request/${encodeURIComponent(r.requestId)}`)}
            >
              <span className="muted">{new Date(r.time).toISOString().slice(11, 23)}</span>
              <span>
                {r.pop} {r.type === 'function-error' ? <Badge value="error" /> : null}
                {r.status ? <span className="muted"> {r.status}</span> : null}
              </span>
              <span className="msg">
                {r.type === 'access' ? (
                  <a href={href('logs', 'request', r.requestId)}>{r.message}</a>
                ) : (
                  <>
                    <span className="muted">
                      {r.functionName}:{r.functionVersion} {r.eventType}{' '}
                    </span>
                    {r.message}
                  </>
                )}
              </span>
            </div>
          ))}
        </div>
      </section>
    </div>
  );
}

const lineKey = (r: LogRecord): string => `${r.time}|${r.pop}|${r.requestId}|${r.type}|${r.message}`;

/** Newest first, without duplicates (the tail and the periodic query overlap). */
function mergeLines(prev: LogRecord[], add: LogRecord[]): LogRecord[] {
  const seen = new Set(prev.map(lineKey));
  const fresh = add.filter((r) => !seen.has(lineKey(r)));
  if (fresh.length === 0) return prev;
  return [...fresh, ...prev].sort((a, b) => b.time - a.time).slice(0, MAX_LINES);
}

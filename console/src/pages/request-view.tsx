/**
 * @module console/pages/request-view
 * One request's path through the edge, rebuilt from the records that share its request id:
 * the access-log record (cache result, functions that ran with their durations, origin
 * latency, status) and each function's log lines, laid out on the four events of spec 1.1
 * (viewer-request → cache → origin-request → origin → origin-response → viewer-response).
 */
import type { LogRecord } from '../api.js';
import { Badge, LoadError, useLoad } from '../ui.js';

interface FnRun {
  eventType: string;
  name: string;
  durationMs: number;
  ok: boolean;
  /** Header name → new value, or null when the function removed it (when the edge records it). */
  headerChanges?: Record<string, string | null>;
  /** A request function returned a response instead of the request. */
  generated?: boolean;
  /** What the function changed besides headers, when the edge records it (`{ from, to }`). */
  uri?: Change;
  querystring?: Change;
  status?: Change;
}

interface Change {
  from: string | number;
  to: string | number;
}

const STAGES = ['viewer-request', 'cache', 'origin-request', 'origin', 'origin-response', 'viewer-response'] as const;

function runsOf(access: LogRecord | undefined): FnRun[] {
  const fns = access?.fields?.functions;
  return Array.isArray(fns) ? (fns as FnRun[]) : [];
}

export function RequestView(props: { requestId: string }) {
  const recs = useLoad((c) => c.logs.query({ requestId: props.requestId, limit: 500 }), [props.requestId], 3000);
  if (recs.error && !recs.data) return <LoadError error={recs.error} />;
  const records = [...(recs.data ?? [])].sort((a, b) => a.time - b.time);
  const access = records.find((r) => r.type === 'access');
  const fields = access?.fields ?? {};
  const result = String(fields['x-edge-result-type'] ?? '');
  const detailed = String(fields['x-edge-detailed-result-type'] ?? '');
  const runs = runsOf(access);
  const fnLines = records.filter((r) => r.type !== 'access');
  const anyChanges =
    runs.some((r) => r.headerChanges || r.generated || r.uri || r.querystring || r.status) ||
    fnLines.some((l) => l.fields?.headerChanges);
  const wentToOrigin = fields['origin-latency-ms'] !== undefined || /Miss|RefreshHit/.test(result);

  return (
    <div className="stack">
      <div className="head">
        <div className="grow">
          <div className="muted small">
            <a href="#/logs">Logs</a> /
          </div>
          <h1>Request</h1>
          <div className="mono small muted wrap">{props.requestId}</div>
        </div>
        {access && (
          <Badge
            value={String(access.status ?? '')}
            tone={(access.status ?? 0) >= 500 ? 'bad' : (access.status ?? 0) >= 400 ? 'warn' : 'ok'}
          />
        )}
      </div>
      {!recs.data && <p className="muted">Loading…</p>}
      {recs.data && records.length === 0 && (
        <div className="alert info">
          No records for this request id yet (logs arrive from PoPs every second or two).
        </div>
      )}
      {access && (
        <section className="card">
          <dl className="kv">
            <dt>Request</dt>
            <dd className="mono">{access.message}</dd>
            <dt>PoP</dt>
            <dd>
              {access.pop} ({String(fields['pop-region'] ?? '')})
            </dd>
            <dt>Distribution</dt>
            <dd>{access.distributionId ?? '–'}</dd>
            <dt>Cache</dt>
            <dd>
              {result} {detailed && detailed !== result ? `(${detailed})` : ''}
            </dd>
            <dt>Time taken</dt>
            <dd>{String(fields['time-taken'] ?? '–')} s</dd>
            {fields['x-edge-error'] ? (
              <>
                <dt>Error</dt>
                <dd className="field-error">{String(fields['x-edge-error'])}</dd>
              </>
            ) : null}
          </dl>
        </section>
      )}
      {records.length > 0 && (
        <section className="card" aria-label="Timeline">
          <h2>Timeline</h2>
          <ol className="timeline">
            {STAGES.map((stage) => {
              const lines = fnLines.filter((r) => r.eventType === stage);
              const run = runs.find((r) => r.eventType === stage);
              const fnName = run?.name ?? lines[0]?.functionName;
              const skipped =
                stage === 'cache'
                  ? false
                  : stage === 'origin' || stage.startsWith('origin-')
                    ? !wentToOrigin && !run
                    : !run && lines.length === 0;
              const failed = run ? !run.ok : lines.some((l) => l.type === 'function-error');
              return (
                <li key={stage} className={failed ? 'bad' : skipped ? 'skip' : ''} data-stage={stage}>
                  <strong>{stage}</strong>{' '}
                  {stage === 'cache' && <Badge value={result || 'unknown'} tone={/Hit/.test(result) ? 'ok' : 'warn'} />}
                  {stage === 'origin' && wentToOrigin && fields['origin-latency-ms'] !== undefined && (
                    <span className="muted small">{String(fields['origin-latency-ms'])} ms</span>
                  )}
                  {fnName && (
                    <span className="small">
                      {' '}
                      function <code>{fnName}</code>
                      {lines[0]?.functionVersion ? `:${lines[0].functionVersion}` : ''}{' '}
                      {run ? `· ${run.durationMs.toFixed(1)} ms` : ''} {failed ? <Badge value="failed" /> : null}
                    </span>
                  )}
                  {skipped && <span className="muted small"> not run</span>}
                  {lines.length > 0 && (
                    <pre className="small">{lines.map((l) => `[${l.level ?? 'info'}] ${l.message}`).join('\n')}</pre>
                  )}
                  {run?.generated && <div className="small">returned a response instead of the request</div>}
                  <Changes run={run} />
                  <HeaderChanges
                    changes={
                      run?.headerChanges ??
                      (lines.find((l) => l.fields?.headerChanges)?.fields?.headerChanges as FnRun['headerChanges'])
                    }
                  />
                </li>
              );
            })}
          </ol>
          {!anyChanges && runs.length > 0 && (
            <p className="muted small">
              The edge did not record header changes for this request; each function's log output is shown.
            </p>
          )}
        </section>
      )}
    </div>
  );
}

/** URI, query string and status changes (`/landing` → `/products/landing-b`). */
function Changes(props: { run: FnRun | undefined }) {
  const r = props.run;
  if (!r) return null;
  const rows = (['uri', 'querystring', 'status'] as const).flatMap((k) => {
    const c = r[k];
    return c && typeof c === 'object' ? [[k, c] as const] : [];
  });
  if (rows.length === 0) return null;
  return (
    <ul className="changes small">
      {rows.map(([k, c]) => (
        <li key={k} data-change={k}>
          {k}: <code>{String(c.from) || '(empty)'}</code> → <code>{String(c.to) || '(empty)'}</code>
        </li>
      ))}
    </ul>
  );
}

/**
 * A function's changes to the headers, when the edge records them: `headerChanges` on the access
 * log's `functions[]` entry or on the function's log record (`{ name: value | null }`).
 */
function HeaderChanges(props: { changes: FnRun['headerChanges'] }) {
  const changes = props.changes;
  if (!changes || typeof changes !== 'object') return null;
  return (
    <table className="small">
      <tbody>
        {Object.entries(changes).map(([k, v]) => (
          <tr key={k}>
            <td className="mono">{k}</td>
            <td>{v === null ? <span className="field-error">removed</span> : <span className="mono">{v}</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * @module console/pages/overview
 * The overview: every PoP (region, health, applied snapshot, requests in the last 15
 * minutes), every distribution with its deployment status (and any PoP's refusal), and the most recent function
 * errors and 5xx responses.
 */
import type { LogRecord, MetricSeries } from '../api.js';
import { loadSeries, total } from '../metrics-data.js';
import { href } from '../router.js';
import { ago, Badge, Empty, LoadError, useLoad } from '../ui.js';
import { Refusals } from '../refusals.js';

export function Overview() {
  const pops = useLoad((c) => c.pops.list(), [], 3000);
  const dists = useLoad((c) => c.distributions.list(), [], 3000);
  const traffic = useLoad((c) => loadSeries(c, { kind: 'distribution', minutes: 15, byPop: true }), [], 10_000);
  const errors = useLoad(
    async (c) => {
      const [fnErrors, access] = await Promise.all([
        c.logs.query({ type: 'function-error', limit: 10 }),
        c.logs.query({ type: 'access', limit: 200 }),
      ]);
      const serverErrors = access.filter((r) => (r.status ?? 0) >= 500).slice(0, 10);
      return [...fnErrors, ...serverErrors].sort((a, b) => b.time - a.time).slice(0, 10);
    },
    [],
    5000,
  );

  const requestsAt = (pop: string) => total(bySeriesPop(traffic.data, pop), (p) => p.requests);

  return (
    <div className="stack">
      <div className="head">
        <h1>Overview</h1>
      </div>
      <section className="card flush">
        <h2>Points of presence</h2>
        <LoadError error={pops.error} />
        <div className="scroll">
          <table>
            <thead>
              <tr>
                <th>PoP</th>
                <th className="hide-sm">Region</th>
                <th>Health</th>
                <th>Snapshot</th>
                <th>Requests (15 min)</th>
                <th className="hide-sm">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {(pops.data ?? []).map((p) => (
                <tr key={p.id} data-pop={p.id}>
                  <td>
                    <strong className="nowrap-sm">{p.id}</strong>
                    <div className="muted small">
                      {p.location ?? ''} <span className="show-sm">{p.region}</span>
                    </div>
                  </td>
                  <td className="hide-sm">{p.region}</td>
                  <td>
                    <Badge value={p.health} />
                  </td>
                  <td className="mono">v{p.appliedVersion}</td>
                  <td>{traffic.data ? requestsAt(p.id) : '–'}</td>
                  <td className="muted hide-sm">{ago(p.lastSeen)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {pops.data?.length === 0 && (
            <Empty>
              No PoP has registered yet. Start one with <code>verge edge --control …</code>.
            </Empty>
          )}
        </div>
      </section>
      <div className="grid">
        <section className="card flush">
          <h2>Distributions</h2>
          <LoadError error={dists.error} />
          <table>
            <tbody>
              {(dists.data ?? []).map((d) => (
                <tr key={d.id}>
                  <td>
                    <a href={href('distributions', d.id)}>{d.id}</a>
                    <div className="muted small">{d.config.domainName ?? ''}</div>
                  </td>
                  <td>
                    <Badge value={d.status} />
                    {d.pending.length > 0 && <div className="muted small">waiting for {d.pending.join(', ')}</div>}
                    <Refusals dist={d} compact />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {dists.data?.length === 0 && <Empty>No distributions yet.</Empty>}
        </section>
        <section className="card flush">
          <h2>Recent errors</h2>
          <LoadError error={errors.error} />
          <RecentErrors records={errors.data} />
        </section>
      </div>
    </div>
  );
}

function bySeriesPop(series: MetricSeries[] | undefined, pop: string): MetricSeries[] {
  return (series ?? []).filter((s) => s.labels.pop === pop);
}

function RecentErrors(props: { records: LogRecord[] | undefined }) {
  if (!props.records) return null;
  if (props.records.length === 0) return <Empty>No errors recently.</Empty>;
  return (
    <table>
      <tbody>
        {props.records.map((r, i) => (
          <tr key={r.requestId + i}>
            <td className="muted small" style={{ whiteSpace: 'nowrap' }}>
              {ago(r.time)}
              <div>{r.pop}</div>
            </td>
            <td>
              <a href={href('logs', 'request', r.requestId)} className="mono small">
                {r.type === 'access' ? `${r.status} ` : `${r.functionName ?? ''}:${r.functionVersion ?? ''} `}
              </a>
              <span className="small">{r.message.split('\n')[0]}</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * @module console/pages/metrics
 * Charts per function or per distribution, one line per PoP: invocations, errors by class
 * and duration p50/p95/p99 for functions; requests, hit ratio, origin latency and error
 * rates for distributions (`GET /metrics?by=pop`).
 */
import { useMemo, useState } from 'react';
import type { MetricSeries } from '../api.js';
import { Chart, type ChartLine } from '../chart.js';
import { loadSeries, total } from '../metrics-data.js';
import { Field, LoadError, plural, useLoad } from '../ui.js';

type Pick = (p: MetricSeries['points'][number]) => number | null | undefined;

function linesPerPop(series: MetricSeries[], pick: Pick, suffix = ''): ChartLine[] {
  return series.map((s) => ({
    label: `${s.labels.pop ?? 'all'}${s.labels.version ? ' v' + s.labels.version : ''}${suffix}`,
    values: s.points.map((p) => pick(p) ?? null),
  }));
}

function xOf(series: MetricSeries[]): number[] {
  return (series[0]?.points ?? []).map((p) => p.time / 1000);
}

export function MetricsPage() {
  const [kind, setKind] = useState<'function' | 'distribution'>('function');
  const [name, setName] = useState('');
  const [minutes, setMinutes] = useState(15);
  const fns = useLoad((c) => c.functions.list(), []);
  const dists = useLoad((c) => c.distributions.list(), []);
  const names = kind === 'function' ? (fns.data ?? []).map((f) => f.name) : (dists.data ?? []).map((d) => d.id);
  const chosen = names.includes(name) ? name : (names[0] ?? '');
  const series = useLoad(
    (c) =>
      chosen
        ? loadSeries(c, {
            kind,
            minutes,
            byPop: true,
            ...(kind === 'function' ? { name: chosen } : { distribution: chosen }),
          })
        : Promise.resolve([]),
    [kind, chosen, minutes],
    5000,
  );

  return (
    <div className="stack">
      <div className="head">
        <h1 className="grow">Metrics</h1>
      </div>
      <form className="card" aria-label="Metric selection" onSubmit={(e) => e.preventDefault()}>
        <div className="form-row">
          <Field label="Kind">
            <select name="kind" value={kind} onChange={(e) => setKind(e.target.value as 'function' | 'distribution')}>
              <option value="function">Function</option>
              <option value="distribution">Distribution</option>
            </select>
          </Field>
          <Field label={kind === 'function' ? 'Function' : 'Distribution'}>
            <select name="name" value={chosen} onChange={(e) => setName(e.target.value)}>
              {names.map((n) => (
                <option key={n}>{n}</option>
              ))}
            </select>
          </Field>
          <Field label="Window">
            <select name="window" value={minutes} onChange={(e) => setMinutes(Number(e.target.value))}>
              <option value={15}>15 minutes</option>
              <option value={60}>1 hour</option>
              <option value={360}>6 hours</option>
              <option value={1440}>24 hours</option>
            </select>
          </Field>
        </div>
      </form>
      <LoadError error={series.error} />
      {series.data && <Charts kind={kind} series={series.data} />}
    </div>
  );
}

function Charts(props: { kind: 'function' | 'distribution'; series: MetricSeries[] }) {
  const s = props.series;
  const charts = useMemo(() => {
    const x = xOf(s);
    const stepS = x.length > 1 ? x[1]! - x[0]! : 60;
    const stepText = stepS % 60 === 0 ? `${stepS / 60} min` : `${stepS} s`;
    if (props.kind === 'function') {
      const classes = [...new Set(s.flatMap((se) => se.points.flatMap((p) => Object.keys(p.errors ?? {}))))];
      const errorLines: ChartLine[] = classes.length
        ? classes.map((cls) => ({
            label: cls,
            values: x.map((_, i) => s.reduce((n, se) => n + (se.points[i]?.errors?.[cls] ?? 0), 0)),
          }))
        : [{ label: 'errors', values: x.map(() => 0) }];
      return [
        { title: `Invocations per ${stepText}`, x, lines: linesPerPop(s, (p) => p.invocations) },
        { title: `Errors by class per ${stepText}`, x, lines: errorLines },
        { title: 'Duration p50', x, lines: linesPerPop(s, (p) => p.p50), unit: ' ms', sparse: true },
        { title: 'Duration p95', x, lines: linesPerPop(s, (p) => p.p95), unit: ' ms', sparse: true },
        { title: 'Duration p99', x, lines: linesPerPop(s, (p) => p.p99), unit: ' ms', sparse: true },
      ];
    }
    return [
      { title: `Requests per ${stepText}`, x, lines: linesPerPop(s, (p) => p.requests) },
      {
        title: 'Cache hit ratio',
        x,
        lines: linesPerPop(s, (p) => (p.hitRatio === null || p.hitRatio === undefined ? null : p.hitRatio * 100)),
        unit: '%',
        sparse: true,
      },
      { title: 'Origin latency p50', x, lines: linesPerPop(s, (p) => p.originLatencyP50), unit: ' ms', sparse: true },
      {
        title: '4xx rate',
        x,
        lines: linesPerPop(s, (p) => (!p.requests || p.rate4xx == null ? null : p.rate4xx * 100)),
        unit: '%',
        sparse: true,
      },
      {
        title: '5xx rate',
        x,
        lines: linesPerPop(s, (p) => (!p.requests || p.rate5xx == null ? null : p.rate5xx * 100)),
        unit: '%',
        sparse: true,
      },
    ];
  }, [s, props.kind]);

  const headline =
    props.kind === 'function'
      ? plural(
          total(s, (p) => p.invocations),
          'invocation',
        )
      : plural(
          total(s, (p) => p.requests),
          'request',
        );
  if (s.length === 0) return <div className="empty card">No data in this window yet.</div>;
  return (
    <>
      <p className="muted" data-testid="metrics-total">
        {headline} in this window, across {plural(s.length, 'series', 'series')}
      </p>
      <div className="grid">
        {charts.map((c) => (
          <Chart
            key={c.title}
            title={c.title}
            x={c.x}
            lines={c.lines}
            {...(c.unit ? { unit: c.unit } : {})}
            sparse={'sparse' in c && c.sparse === true}
          />
        ))}
      </div>
    </>
  );
}

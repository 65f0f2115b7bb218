/**
 * @module console/pages/canary
 * A canary trigger (docs/api.md, "Canary triggers"): the split between the previous version and
 * the new one, its steps and auto-rollback, Promote and Roll back while it runs, what happened
 * (started, stepped, promoted, rolled back: an automatic rollback stands out with the control
 * plane's reason), and the live comparison of the two versions: error rate and p99 duration side
 * by side on one chart each, from the per-version function metrics (`GET /metrics`).
 */
import { useMemo } from 'react';
import type { MetricSeries, Trigger, TriggerCanary, VergeClient } from '../api.js';
import { Chart } from '../chart.js';
import { ago, Badge, ConfirmButton, FormError, LoadError, useAction, useClient, useLoad } from '../ui.js';

const STATE_TONE: Record<TriggerCanary['state'], string> = {
  stepping: 'warn',
  holding: 'warn',
  promoted: 'ok',
  'rolled-back': 'bad',
};

const active = (c: TriggerCanary) => c.state === 'stepping' || c.state === 'holding';

/**
 * The version the canary is compared with. While it runs the split names it; once rolled back it
 * is the trigger's version again; once promoted only the start event still names it
 * ("… for the rest"), so that is read as a last resort.
 */
export function baselineOf(t: Trigger, c: TriggerCanary): string | undefined {
  const other = c.split.find((s) => s.function !== c.function)?.function;
  if (other) return other;
  if (t.function !== c.function) return t.function;
  const started = c.events.find((e) => e.kind === 'started')?.message ?? '';
  return /, (\S+:\d+) for the rest/.exec(started)?.[1];
}

/** One trigger's canary, loaded and polled by id (it changes by itself: steps, automatic rollback). */
export function CanaryPanel(props: { distributionId: string; triggerId: string; onChange?: () => void }) {
  const trigger = useLoad(
    async (c) => (await c.triggers.list(props.distributionId)).find((t) => t.id === props.triggerId) ?? null,
    [props.distributionId, props.triggerId],
    2000,
  );
  const t = trigger.data;
  if (trigger.error && !t) return <LoadError error={trigger.error} />;
  if (!t?.canary) return null;
  return (
    <CanaryView
      t={t}
      c={t.canary}
      onChange={() => {
        trigger.reload();
        props.onChange?.();
      }}
    />
  );
}

function CanaryView(props: { t: Trigger; c: TriggerCanary; onChange: () => void }) {
  const { t, c } = props;
  const client = useClient();
  const action = useAction();
  const baseline = baselineOf(t, c);
  const rolledBack = [...c.events].reverse().find((e) => e.kind === 'rolled-back');
  const act = (call: () => Promise<unknown>) => void action.run(call).then((ok) => ok && props.onChange());
  return (
    <section className="card canary" aria-label={`Canary ${c.function}`} data-canary-state={c.state}>
      <div className="row">
        <h2 style={{ margin: 0 }}>Canary {c.function}</h2>
        <Badge value={c.state} tone={STATE_TONE[c.state]} />
        <span className="muted small">
          {t.distributionId} · {t.behavior === 'default' ? 'Default (*)' : t.behavior} · {t.eventType} · started{' '}
          {ago(c.startedAt)}
        </span>
      </div>
      <div className="split" aria-label="Split">
        {c.split.map((s) => (
          <div
            key={s.function}
            className={'split-part' + (s.function === c.function ? ' new' : '')}
            style={{ flexGrow: Math.max(s.percent, 1) }}
          >
            {s.function} {s.percent}%
          </div>
        ))}
      </div>
      <p className="muted small">
        {c.steps.length > 1
          ? `Steps ${c.steps.join('% → ')}%, every ${c.stepIntervalSeconds ?? '–'} s`
          : active(c)
            ? `Holds ${c.steps[0] ?? c.percent}% until promoted or rolled back`
            : `Held ${c.steps[0] ?? c.percent}%`}
        {c.nextStepAt && active(c) ? `; next step ${ago(c.nextStepAt).replace(' ago', '')}` : ''} · auto-rollback{' '}
        {c.autoRollback ? 'on (error rate or p99 worse than the previous version)' : 'off'}
      </p>
      {rolledBack && (
        <div className="alert" role="alert" data-testid="canary-rolled-back">
          <strong>Rolled back {ago(rolledBack.at)}.</strong> {rolledBack.message}
        </div>
      )}
      <FormError error={action.error} />
      {active(c) && (
        <div className="row" style={{ marginBottom: 12 }}>
          <ConfirmButton
            label="Promote now"
            question={`Run ${c.function} for every viewer?`}
            onConfirm={() => act(() => client.triggers.promoteCanary(t.id))}
          />
          <ConfirmButton
            label="Roll back now"
            question={`Put ${baseline ?? 'the previous version'} back for every viewer?`}
            onConfirm={() => act(() => client.triggers.rollbackCanary(t.id))}
          />
        </div>
      )}
      <CanaryCompare canary={c} baseline={baseline} />
      <h3>Events</h3>
      <ul className="timeline" aria-label="Canary events">
        {[...c.events].reverse().map((e, i) => (
          <li key={i} className={e.kind === 'rolled-back' ? 'bad' : ''} data-event={e.kind}>
            <strong>{e.kind}</strong> <span className="muted small">{ago(e.at)}</span>
            <div className="small wrap">{e.message}</div>
          </li>
        ))}
      </ul>
    </section>
  );
}

const STEP_MS = 10_000;

function versionSeries(client: VergeClient, fn: string, since: number, until: number): Promise<MetricSeries[]> {
  const [name, version] = fn.split(':');
  return client.metrics.query({ kind: 'function', name, version, since, until, step: STEP_MS });
}

type Point = MetricSeries['points'][number];

/** Points of every series summed per time (a version's series are one per event type). */
function perTime(series: MetricSeries[]): Map<number, { invocations: number; errors: number; p99: number | null }> {
  const out = new Map<number, { invocations: number; errors: number; p99: number | null }>();
  for (const s of series)
    for (const p of s.points as Point[]) {
      const o = out.get(p.time) ?? { invocations: 0, errors: 0, p99: null };
      o.invocations += p.invocations ?? 0;
      o.errors += Object.values(p.errors ?? {}).reduce((a, b) => a + b, 0);
      // One trigger runs one event type, so a version has one series here; keep the worst if not.
      if (p.p99 !== null && p.p99 !== undefined) o.p99 = Math.max(o.p99 ?? 0, p.p99);
      out.set(p.time, o);
    }
  return out;
}

/** The two versions' error rate and p99 per 10 s, side by side, since a minute before the start. */
function CanaryCompare(props: { canary: TriggerCanary; baseline: string | undefined }) {
  const { canary, baseline } = props;
  const running = active(canary);
  const since = Date.parse(canary.startedAt) - 60_000;
  const lastEvent = Date.parse(canary.events.at(-1)?.at ?? canary.startedAt);
  const data = useLoad(
    async (c) => {
      // A finished canary is shown up to two minutes after its last event.
      const until = running ? Date.now() : Math.min(Date.now(), lastEvent + 120_000);
      const [base, next] = await Promise.all([
        baseline ? versionSeries(c, baseline, since, until) : Promise.resolve([]),
        versionSeries(c, canary.function, since, until),
      ]);
      return { base: perTime(base), next: perTime(next) };
    },
    [canary.function, baseline, since, running, lastEvent],
    running ? 5000 : undefined,
  );
  const charts = useMemo(() => {
    if (!data.data) return undefined;
    const times = [...new Set([...data.data.base.keys(), ...data.data.next.keys()])].sort((a, b) => a - b);
    const x = times.map((t) => t / 1000);
    const rate = (m: Map<number, { invocations: number; errors: number }>) =>
      times.map((t) => {
        const p = m.get(t);
        return p && p.invocations > 0 ? (100 * p.errors) / p.invocations : null;
      });
    const p99 = (m: Map<number, { p99: number | null }>) => times.map((t) => m.get(t)?.p99 ?? null);
    const label = (fn: string, what: string) => `${fn} (${what})`;
    const names: Array<[string, 'base' | 'next']> = [
      ...(baseline ? [[label(baseline, 'previous'), 'base'] as [string, 'base']] : []),
      [label(canary.function, 'canary'), 'next'],
    ];
    return {
      x,
      // The previous version in blue, the canary in orange, in every chart.
      colors: names.map(([, k]) => (k === 'base' ? '#2563eb' : '#ea580c')),
      errors: names.map(([l, k]) => ({ label: l, values: rate(data.data![k]) })),
      p99: names.map(([l, k]) => ({ label: l, values: p99(data.data![k]) })),
    };
  }, [data.data, baseline, canary.function]);
  return (
    <div className="canary-compare">
      <LoadError error={data.error} />
      {charts && (
        <div className="grid">
          <Chart title="Error rate" unit="%" x={charts.x} lines={charts.errors} colors={charts.colors} sparse />
          <Chart title="Duration p99" unit=" ms" x={charts.x} lines={charts.p99} colors={charts.colors} sparse />
        </div>
      )}
    </div>
  );
}

/**
 * @module console/pages/distribution-staging
 * Staging (CloudFront continuous deployment) for one primary distribution: create a staging
 * copy, route viewers to it by header (`aws-cf-cd-*`) or weight (1–15%), see primary and
 * staging side by side (deploy status, requests, error rates and origin latency over the API's
 * window), promote it onto the primary, or discard it (docs/api.md, `/distributions/{id}/staging`).
 * On a staging distribution's own page it links back to its primary.
 */
import { useState } from 'react';
import {
  isClientError,
  type Distribution,
  type StagingMetrics,
  type StagingRouting,
  type StagingView,
} from '../api.js';
import { href } from '../router.js';
import { Badge, ConfirmButton, Field, FormError, LoadError, useAction, useClient, useLoad } from '../ui.js';

const HEADER_PREFIX = 'aws-cf-cd-';

export function StagingPanel(props: { dist: Distribution; onChange: () => void }) {
  const d = props.dist;
  const client = useClient();
  const action = useAction();
  // 404 is the normal "nothing staged" answer, not an error to show.
  const view = useLoad(
    async (c) => {
      try {
        return await c.distributions.staging.get(d.id);
      } catch (e) {
        if (isClientError(e) && e.status === 404) return null;
        throw e;
      }
    },
    [d.id],
    3000,
  );
  if (d.config.staging) {
    const primary = d.id.replace(/-staging$/, '');
    return (
      <section className="card" aria-label="Staging">
        <h2>Staging distribution</h2>
        <p>
          {d.id} is the staging copy of <a href={href('distributions', primary)}>{primary}</a>. Attach functions and
          edit its config here; route viewers to it, promote it or discard it on {primary}&apos;s Staging tab.
        </p>
      </section>
    );
  }
  const act = (call: () => Promise<unknown>) =>
    void action.run(call).then((ok) => {
      if (ok) {
        view.reload();
        props.onChange();
      }
    });
  return (
    <section className="card" aria-label="Staging">
      <h2>Staging</h2>
      <FormError error={action.error} />
      <LoadError error={view.error} />
      {view.data === null && (
        <>
          <p className="muted">
            A staging distribution is a copy of {d.id} (config and triggers) with its own id and cache. Change it, send
            some viewers to it by a header or a weight, compare it with {d.id}, then promote it or discard it.
          </p>
          <button className="btn primary" onClick={() => act(() => client.distributions.staging.create(d.id))}>
            Create staging distribution
          </button>
        </>
      )}
      {view.data && (
        <StagingDetails
          view={view.data}
          onRoute={(r) => act(() => client.distributions.staging.route(d.id, r))}
          onPromote={() => act(() => client.distributions.staging.promote(d.id))}
          onDiscard={() => act(() => client.distributions.staging.discard(d.id))}
          error={action.error}
        />
      )}
    </section>
  );
}

function StagingDetails(props: {
  view: StagingView;
  onRoute: (r: StagingRouting) => void;
  onPromote: () => void;
  onDiscard: () => void;
  error: unknown;
}) {
  const { primary, staging, routing, metrics } = props.view;
  const [mode, setMode] = useState<'header' | 'weight'>(routing?.weight ? 'weight' : 'header');
  const [name, setName] = useState(routing?.header?.name ?? HEADER_PREFIX + 'staging');
  const [value, setValue] = useState(routing?.header?.value ?? 'true');
  const [percent, setPercent] = useState(String(routing?.weight?.percent ?? 5));
  const [sticky, setSticky] = useState(String(routing?.weight?.stickySeconds ?? ''));
  const cd = '$.continuousDeployment';
  return (
    <div className="stack">
      <p className="small" data-testid="staging-routing">
        <a href={href('distributions', staging.id)}>{staging.id}</a> ·{' '}
        {routing?.header ? (
          <>
            requests with <code>{`${routing.header.name}: ${routing.header.value}`}</code> go to staging
          </>
        ) : routing?.weight ? (
          <>
            {routing.weight.percent}% of viewers go to staging (each viewer kept on one side by{' '}
            {routing.weight.stickySeconds ? `a session cookie, ${routing.weight.stickySeconds} s idle` : 'its address'})
          </>
        ) : (
          <>no viewer is routed to staging yet</>
        )}
      </p>
      <div className="scroll">
        <table className="side-by-side" aria-label="Primary and staging">
          <thead>
            <tr>
              <th />
              <th>
                Primary <div className="muted small mono">{primary.id}</div>
              </th>
              <th>
                Staging <div className="muted small mono">{staging.id}</div>
              </th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row">Deploy</th>
              <td>
                <Badge value={primary.status} /> <span className="muted small">g{primary.generation}</span>
              </td>
              <td>
                <Badge value={staging.status} /> <span className="muted small">g{staging.generation}</span>
              </td>
            </tr>
            {metricRows(metrics.primary, metrics.staging).map(([label, a, b]) => (
              <tr key={label} data-metric={label}>
                <th scope="row">{label}</th>
                <td className="mono">{a}</td>
                <td className="mono">{b}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted small">Over the last {Math.round(metrics.windowMs / 60_000)} minutes, summed across PoPs.</p>
      <form
        aria-label="Staging routing"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          const weight = { percent: Number(percent), ...(sticky.trim() ? { stickySeconds: Number(sticky) } : {}) };
          props.onRoute(mode === 'header' ? { header: { name, value } } : { weight });
        }}
      >
        <div className="form-row">
          <Field label="Route by">
            <select name="mode" value={mode} onChange={(e) => setMode(e.target.value as 'header' | 'weight')}>
              <option value="header">Header</option>
              <option value="weight">Weight</option>
            </select>
          </Field>
          {mode === 'header' ? (
            <>
              <Field
                label="Header name"
                error={props.error}
                path={[`${cd}.header.name`, '$.header.name']}
                hint={`must start with ${HEADER_PREFIX}`}
              >
                <input name="headerName" value={name} onChange={(e) => setName(e.target.value)} />
              </Field>
              <Field label="Value" error={props.error} path={[`${cd}.header.value`, '$.header.value']}>
                <input name="headerValue" value={value} onChange={(e) => setValue(e.target.value)} />
              </Field>
            </>
          ) : (
            <Field
              label="Percent of viewers"
              error={props.error}
              path={[`${cd}.weight.percent`, '$.weight.percent']}
              hint="1–15"
            >
              <input name="percent" inputMode="numeric" value={percent} onChange={(e) => setPercent(e.target.value)} />
            </Field>
          )}
          {mode === 'weight' && (
            <Field
              label="Sticky sessions (s)"
              error={props.error}
              path={[`${cd}.weight.stickySeconds`, '$.weight.stickySeconds']}
              hint="300–3600 idle seconds in a cookie; empty: by address"
            >
              <input
                name="stickySeconds"
                inputMode="numeric"
                value={sticky}
                onChange={(e) => setSticky(e.target.value)}
              />
            </Field>
          )}
        </div>
        <div className="row">
          <button className="btn primary">Route to staging</button>
          <span className="grow" />
          <ConfirmButton
            label="Promote"
            question={`Copy ${staging.id}'s config and triggers onto ${primary.id}?`}
            onConfirm={props.onPromote}
          />
          <ConfirmButton
            label="Discard"
            question={`Delete ${staging.id} and the routing to it?`}
            onConfirm={props.onDiscard}
          />
        </div>
      </form>
    </div>
  );
}

const pct = (r: number) => `${(r * 100).toFixed(1)}%`;
const ms = (v: number | null) => (v === null ? '–' : `${v.toFixed(1)} ms`);

/** Errors of one class: the count and its share of the requests (`3 (1.2%)`). */
const errs = (m: StagingMetrics, cls: '4xx' | '5xx') =>
  `${m.errors?.[cls] ?? '–'} (${pct(cls === '4xx' ? m.rate4xx : m.rate5xx)})`;

function metricRows(a: StagingMetrics, b: StagingMetrics): Array<[string, string, string]> {
  return [
    ['Requests', String(a.requests), String(b.requests)],
    ['4xx', errs(a, '4xx'), errs(b, '4xx')],
    ['5xx', errs(a, '5xx'), errs(b, '5xx')],
    ['Origin p50', ms(a.originLatencyP50), ms(b.originLatencyP50)],
    ['Origin p99', ms(a.originLatencyP99), ms(b.originLatencyP99)],
  ];
}

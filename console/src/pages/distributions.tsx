/**
 * @module console/pages/distributions
 * Distributions: the list with status and Create (distribution-editor.tsx), and one
 * distribution: its header (status, any PoP's refusal with the reason, Edit as JSON, Delete)
 * and tabs: Behaviors (origins, cache behaviors and their attached functions, with Detach and
 * Replace), Deploys (per-PoP state, history and rollback: distribution-deploys.tsx), Staging
 * (distribution-staging.tsx), Settings (viewer access) and Invalidations by paths or tags.
 */
import { useState } from 'react';
import type { Distribution } from '../api.js';
import type { CacheBehaviorConfig, DefaultCacheBehaviorConfig } from '../../../src/shared/config/types.js';
import { href } from '../router.js';
import { go } from '../router.js';
import {
  ago,
  Badge,
  ConfirmButton,
  Empty,
  Field,
  FormError,
  LoadError,
  Tabs,
  useAction,
  useClient,
  useLoad,
} from '../ui.js';
import { CreateDistribution, EditDistribution } from './distribution-editor.js';
import { Invalidations } from './distribution-invalidations.js';
import type { Trigger } from '../api.js';
import { DistributionSettings } from './distribution-settings.js';
import { DeployHistory, DeployState } from './distribution-deploys.js';
import { Refusals } from '../refusals.js';
import { StagingPanel } from './distribution-staging.js';
import { CanaryPanel } from './canary.js';

type Tab = 'behaviors' | 'deploys' | 'staging' | 'settings' | 'invalidations';
const TAB_LABELS: Record<Tab, string> = {
  behaviors: 'Behaviors',
  deploys: 'Deploys',
  staging: 'Staging',
  settings: 'Settings',
  invalidations: 'Invalidations',
};

export function DistributionsPage(props: { selected: string | undefined; tab?: string | undefined }) {
  const list = useLoad((c) => c.distributions.list(), [], 3000);
  const selected = props.selected ?? list.data?.[0]?.id;
  const [creating, setCreating] = useState(false);
  return (
    <div className="stack">
      <div className="head">
        <h1 className="grow">Distributions</h1>
        {!creating && (
          <button className="btn primary" onClick={() => setCreating(true)}>
            Create distribution
          </button>
        )}
      </div>
      {creating && (
        <CreateDistribution
          onCancel={() => {
            setCreating(false);
            list.reload();
          }}
        />
      )}
      <LoadError error={list.error} />
      <div className="tabs" role="tablist">
        {(list.data ?? []).map((d) => (
          <a
            key={d.id}
            href={href('distributions', d.id)}
            className={'btn ghost' + (d.id === selected ? ' on' : '')}
            style={{ fontWeight: d.id === selected ? 700 : 400 }}
          >
            {d.id} <Badge value={d.status} />
          </a>
        ))}
      </div>
      {list.data?.length === 0 && (
        <Empty>
          No distributions yet. Create one here or with <code>verge distributions create</code>.
        </Empty>
      )}
      {selected && <DistributionView key={selected} id={selected} tab={props.tab} />}
    </div>
  );
}

function policyName(p: unknown): string {
  if (p === undefined) return '–';
  if (typeof p === 'string') return p;
  const o = p as { name?: string };
  return o.name ?? 'custom';
}

function DistributionView(props: { id: string; tab: string | undefined }) {
  const dist = useLoad((c) => c.distributions.get(props.id), [props.id], 3000);
  const triggers = useLoad((c) => c.triggers.list(props.id), [props.id], 3000);
  const keyGroups = useLoad((c) => c.keyGroups.list(), []);
  const client = useClient();
  const [editing, setEditing] = useState(false);
  // The tab is part of the route (#/distributions/walk/deploys): deep links and reloads keep it.
  const tab: Tab = props.tab && props.tab in TAB_LABELS ? (props.tab as Tab) : 'behaviors';
  const del = useAction();
  if (dist.error && !dist.data) return <LoadError error={dist.error} />;
  if (!dist.data) return <p className="muted">Loading…</p>;
  const d: Distribution = dist.data;
  const behaviors: Array<[string, DefaultCacheBehaviorConfig | CacheBehaviorConfig]> = [
    ...(d.config.cacheBehaviors ?? []).map((b): [string, CacheBehaviorConfig] => [b.pathPattern, b]),
    ['default', d.config.defaultCacheBehavior],
  ];
  return (
    <div className="stack">
      <section className="card">
        <div className="row">
          <h2 style={{ margin: 0 }}>{d.id}</h2>
          <Badge value={d.status} />
          {d.pending.length > 0 && <span className="muted small">waiting for {d.pending.join(', ')}</span>}
          <span className="grow" />
          <button className="btn" onClick={() => setEditing(!editing)}>
            {editing ? 'Close editor' : 'Edit JSON'}
          </button>
          <ConfirmButton
            label="Delete"
            question={`Delete ${d.id} and its triggers?`}
            onConfirm={() =>
              void del
                .run(() => client.distributions.delete(d.id, { ifMatch: d.etag }))
                .then((ok) => ok && go('/distributions'))
            }
          />
        </div>
        <FormError error={del.error} />
        <Refusals dist={d} />
        <p className="muted small">
          {[d.config.domainName, ...(d.config.aliases ?? []), `modified ${ago(d.lastModified)}`]
            .filter(Boolean)
            .join(' · ')}
        </p>
        <h3>Origins</h3>
        <div className="scroll">
          <table>
            <tbody>
              {d.config.origins.map((o) => (
                <tr key={o.id}>
                  <td>
                    <strong>{o.id}</strong>
                  </td>
                  <td className="mono small">
                    {o.bucket
                      ? `bucket ${o.bucket.path}`
                      : `${o.protocol ?? 'https'}://${o.domainName ?? ''}${o.port ? ':' + o.port : ''}${o.originPath ?? ''}`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      {editing && (
        <EditDistribution
          key={d.etag}
          dist={d}
          onDone={() => {
            setEditing(false);
            dist.reload();
          }}
        />
      )}
      <Tabs
        labels={TAB_LABELS}
        current={tab}
        onSelect={(t) => go(`/distributions/${encodeURIComponent(props.id)}/${t}`)}
      />
      {tab === 'behaviors' && (
        <section className="card flush">
          <h2>Cache behaviors and functions</h2>
          <LoadError error={triggers.error} />
          <div className="scroll">
            <table>
              <thead>
                <tr>
                  <th>Path pattern</th>
                  <th>Origin</th>
                  <th>Policies</th>
                  <th>Functions</th>
                </tr>
              </thead>
              <tbody>
                {behaviors.map(([pattern, b]) => (
                  <tr key={pattern}>
                    <td className="mono">{pattern === 'default' ? 'Default (*)' : pattern}</td>
                    <td>{b.targetOriginId}</td>
                    <td className="small">
                      cache: {policyName(b.cachePolicy)}
                      <br />
                      origin request: {policyName(b.originRequestPolicy)}
                      <br />
                      response headers: {policyName(b.responseHeadersPolicy)}
                      {(b.trustedKeyGroups ?? []).length > 0 && (
                        <>
                          <br />
                          signed only:{' '}
                          {(b.trustedKeyGroups ?? [])
                            .map((id) => keyGroups.data?.find((g) => g.id === id)?.name ?? id)
                            .join(', ')}
                        </>
                      )}
                    </td>
                    <td className="small">
                      {(triggers.data ?? [])
                        .filter((t) => t.behavior === pattern)
                        .map((t) => (
                          <TriggerRow key={t.id} t={t} onChange={triggers.reload} />
                        ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
      {tab === 'behaviors' &&
        (triggers.data ?? [])
          .filter((t) => t.canary)
          .map((t) => <CanaryPanel key={t.id} distributionId={d.id} triggerId={t.id} onChange={triggers.reload} />)}
      {tab === 'deploys' && (
        <>
          <DeployState dist={d} />
          <DeployHistory
            dist={d}
            onRolledBack={() => {
              dist.reload();
              triggers.reload();
            }}
          />
        </>
      )}
      {tab === 'staging' && <StagingPanel dist={d} onChange={dist.reload} />}
      {tab === 'settings' && <DistributionSettings dist={d} keyGroups={keyGroups.data ?? []} onSaved={dist.reload} />}
      {tab === 'invalidations' && <Invalidations distributionId={d.id} />}
    </div>
  );
}

/** One attached function: Detach, or Replace with another `name:version` at the same place. */
function TriggerRow(props: { t: Trigger; onChange: () => void }) {
  const client = useClient();
  const t = props.t;
  const [replacing, setReplacing] = useState(false);
  const [fn, setFn] = useState(t.function);
  const { error, run } = useAction();
  const act = (call: () => Promise<unknown>) =>
    void run(call).then((ok) => {
      if (!ok) return;
      setReplacing(false);
      props.onChange();
    });
  return (
    <div className="trigger" data-dist-trigger={`${t.distributionId}/${t.behavior}/${t.eventType}`}>
      <Badge value={t.eventType} /> <a href={href('functions', t.function.split(':')[0] ?? '')}>{t.function}</a>
      {t.includeBody ? ' (body)' : ''}{' '}
      {t.canary && (t.canary.state === 'stepping' || t.canary.state === 'holding') && (
        <span className="muted" data-split>
          canary {t.canary.split.map((x) => `${x.function} ${x.percent}%`).join(' · ')}{' '}
        </span>
      )}
      <button className="btn small" onClick={() => setReplacing(!replacing)}>
        Replace
      </button>{' '}
      <button className="btn small danger" onClick={() => act(() => client.triggers.delete(t.id, { ifMatch: t.etag }))}>
        Detach
      </button>
      {replacing && (
        <form
          className="row"
          aria-label={`Replace ${t.behavior} ${t.eventType}`}
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            act(() =>
              client.triggers.create({
                distributionId: t.distributionId,
                behavior: t.behavior,
                eventType: t.eventType,
                function: fn,
                includeBody: t.includeBody,
              }),
            );
          }}
        >
          <Field label="Function (name:version)" error={error} path="$.function">
            <input name="function" value={fn} onChange={(e) => setFn(e.target.value)} />
          </Field>
          <button className="btn primary small">Attach instead</button>
        </form>
      )}
      <FormError error={error} claimed={['$.function']} />
    </div>
  );
}

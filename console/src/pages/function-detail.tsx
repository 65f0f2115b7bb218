/**
 * @module console/pages/function-detail
 * One function: the header (runtime, limits, versions, where it is attached with Detach, and
 * Delete) and four tabs, each in its own file: Code, Configuration, Test and Versions. Data
 * comes through `useLoad` (console/src/ui.tsx; docs/architecture.md, "Console").
 */
import { useState } from 'react';
import type { FunctionResource, Trigger } from '../api.js';
import { go, href } from '../router.js';
import { Badge, ConfirmButton, FormError, LoadError, plural, Tabs, useAction, useClient, useLoad } from '../ui.js';
import { CodeTab } from './function-code.js';
import { ConfigTab } from './function-config.js';
import { TestTab } from './function-test.js';
import { VersionsTab } from './function-versions.js';

type Tab = 'code' | 'config' | 'test' | 'versions';
const TAB_LABELS: Record<Tab, string> = { code: 'Code', config: 'Configuration', test: 'Test', versions: 'Versions' };

export function FunctionDetail(props: { name: string }) {
  const fn = useLoad((c) => c.functions.get(props.name), [props.name]);
  const [tab, setTab] = useState<Tab>('code');
  if (fn.error && !fn.data) return <LoadError error={fn.error} />;
  if (!fn.data) return <p className="muted">Loading…</p>;
  const f = fn.data;
  return (
    <div className="stack">
      <div className="head">
        <div className="grow">
          <div className="muted small">
            <a href="#/functions">Functions</a> /
          </div>
          <h1>{f.name}</h1>
          <div className="muted small" data-testid="function-summary">
            {f.runtime} · {f.memoryMB ? `${f.memoryMB} MB` : 'default memory'} ·{' '}
            {f.timeoutMs ? `${f.timeoutMs} ms timeout` : 'default timeout'} ·{' '}
            {plural(f.versions?.length ?? f.versionCount, 'version')}
          </div>
        </div>
        <a className="btn" href={href('functions', f.name, 'trigger')}>
          Add trigger
        </a>
      </div>
      <Attachments fn={f} />
      <Tabs labels={TAB_LABELS} current={tab} onSelect={setTab} />
      {tab === 'code' && <CodeTab fn={f} onSaved={fn.reload} />}
      {tab === 'config' && <ConfigTab fn={f} onSaved={fn.reload} />}
      {tab === 'test' && <TestTab fn={f} />}
      {tab === 'versions' && <VersionsTab fn={f} onPublished={fn.reload} />}
    </div>
  );
}

/** Where the function's versions are attached (triggers), with Detach, and Delete for the function. */
function Attachments(props: { fn: FunctionResource }) {
  const client = useClient();
  const all = useLoad((c) => c.triggers.list(), [], 5000);
  const { error, run } = useAction();
  const [busy, setBusy] = useState(false);
  const ours = (fn: string | undefined) => !!fn?.startsWith(props.fn.name + ':');
  // A running canary of this function is attached too (its version runs for a share of viewers).
  const canaryOf = (t: Trigger) =>
    t.canary && (t.canary.state === 'stepping' || t.canary.state === 'holding') && ours(t.canary.function)
      ? t.canary
      : undefined;
  const mine = (all.data ?? []).filter((t) => ours(t.function) || canaryOf(t));

  async function act(fn: () => Promise<void>) {
    setBusy(true);
    await run(fn);
    setBusy(false);
  }

  const remove = () =>
    act(async () => {
      await client.functions.delete(props.fn.name, { ifMatch: props.fn.etag });
      go('/functions');
    });

  return (
    <section className="card" aria-label="Attached to">
      <FormError error={error} />
      <div className="row" style={{ justifyContent: 'space-between', alignItems: 'flex-start' }}>
        <div className="grow" style={{ minWidth: 0 }}>
          <h2>Attached to</h2>
          <LoadError error={all.error} />
          {all.data && mine.length === 0 && (
            <p className="muted small">Not attached to any distribution. Publish a version, then add a trigger.</p>
          )}
          {mine.map((t) => (
            <div key={t.id} className="row attach" data-trigger={`${t.distributionId}/${t.behavior}/${t.eventType}`}>
              <a href={href('distributions', t.distributionId)}>{t.distributionId}</a>
              <span className="mono small">{t.behavior === 'default' ? 'Default (*)' : t.behavior}</span>
              <Badge value={t.eventType} />
              {ours(t.function) && <span className="small">version {t.function.split(':')[1]}</span>}
              {canaryOf(t) && (
                <span className="small">
                  canary version {canaryOf(t)!.function.split(':')[1]} for {canaryOf(t)!.percent}%
                </span>
              )}
              <button
                className="btn small danger"
                disabled={busy}
                title={
                  ours(t.function) ? undefined : `Ends the canary: ${t.function} keeps running there for every viewer`
                }
                onClick={() =>
                  void act(async () => {
                    // Where this function runs only as a canary the trigger is another function's:
                    // detaching this one ends its canary and leaves that one running.
                    if (ours(t.function)) await client.triggers.delete(t.id, { ifMatch: t.etag });
                    else await client.triggers.rollbackCanary(t.id);
                    all.reload();
                  })
                }
              >
                Detach
              </button>
            </div>
          ))}
        </div>
        <ConfirmButton
          label="Delete function"
          question={`Delete ${props.fn.name} and all its versions?`}
          disabled={busy}
          onConfirm={() => void remove()}
        />
      </div>
    </section>
  );
}

/**
 * @module console/pages/add-trigger
 * Attach a published version to a distribution: choose the distribution, then one of its
 * cache behaviors, then the event type and include-body; deploy, and watch the snapshot reach
 * every PoP until the distribution is `Deployed`. One trigger per event type per behavior:
 * a new one replaces the old (docs/api.md, `POST /triggers`).
 */
import { useState } from 'react';
import type { EventType, Trigger } from '../api.js';
import { DeployProgress } from '../deploy-progress.js';
import { href } from '../router.js';
import { EVENT_TYPES } from '../sample-events.js';
import { Field, FormError, LoadError, useAction, useClient, useLoad } from '../ui.js';

function versionFromHash(): string {
  const q = location.hash.split('?')[1] ?? '';
  return new URLSearchParams(q).get('version') ?? '';
}

export function AddTrigger(props: { name: string }) {
  const client = useClient();
  const fn = useLoad((c) => c.functions.get(props.name), [props.name]);
  const dists = useLoad((c) => c.distributions.list(), []);
  const [distributionId, setDistributionId] = useState('');
  const [behavior, setBehavior] = useState('default');
  const [eventType, setEventType] = useState<EventType>('viewer-request');
  const [includeBody, setIncludeBody] = useState(false);
  const [version, setVersion] = useState(versionFromHash);
  const { error, run } = useAction();
  const [deployed, setDeployed] = useState<{ trigger: Trigger; snapshot: number } | undefined>();
  const [busy, setBusy] = useState(false);

  const versions = [...(fn.data?.versions ?? [])].sort((a, b) => b.version - a.version);
  const chosenVersion = version || String(versions[0]?.version ?? '');
  const dist = dists.data?.find((d) => d.id === distributionId);
  const behaviors = dist ? ['default', ...(dist.config.cacheBehaviors ?? []).map((b) => b.pathPattern)] : [];

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    await run(async () => {
      const trigger = await client.triggers.create({
        distributionId,
        behavior,
        eventType,
        function: `${props.name}:${chosenVersion}`,
        includeBody,
      });
      // The trigger made a new snapshot: the newest deployment is the one to watch.
      const [latest] = await client.deployments.list();
      setDeployed({ trigger, snapshot: latest?.version ?? 0 });
    });
    setBusy(false);
  }

  return (
    <div className="stack">
      <div className="head">
        <div className="grow">
          <div className="muted small">
            <a href="#/functions">Functions</a> / <a href={href('functions', props.name)}>{props.name}</a> /
          </div>
          <h1>Add trigger</h1>
        </div>
      </div>
      <LoadError error={fn.error ?? dists.error} />
      <form className="card" onSubmit={submit} noValidate aria-label="Add trigger">
        <FormError
          error={error}
          claimed={['$.distributionId', '$.behavior', '$.eventType', '$.function', '$.includeBody']}
        />
        {fn.data && versions.length === 0 && (
          <div className="alert info">
            Only published versions can be attached. <a href={href('functions', props.name)}>Publish a version</a>{' '}
            first.
          </div>
        )}
        <div className="form-row">
          <Field label="1. Distribution" error={error} path="$.distributionId">
            <select
              name="distributionId"
              value={distributionId}
              onChange={(e) => (setDistributionId(e.target.value), setBehavior('default'))}
            >
              <option value="">Choose…</option>
              {(dists.data ?? []).map((d) => (
                <option key={d.id} value={d.id}>
                  {d.id}
                </option>
              ))}
            </select>
          </Field>
          <Field label="2. Cache behavior" error={error} path="$.behavior">
            <select name="behavior" value={behavior} disabled={!dist} onChange={(e) => setBehavior(e.target.value)}>
              {behaviors.map((b) => (
                <option key={b} value={b}>
                  {b === 'default' ? 'Default (*)' : b}
                </option>
              ))}
            </select>
          </Field>
          <Field label="3. Event type" error={error} path="$.eventType">
            <select name="eventType" value={eventType} onChange={(e) => setEventType(e.target.value as EventType)}>
              {EVENT_TYPES.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          </Field>
          <Field label="Version" error={error} path="$.function">
            <select name="version" value={chosenVersion} onChange={(e) => setVersion(e.target.value)}>
              {versions.map((v) => (
                <option key={v.version} value={String(v.version)}>
                  {props.name}:{v.version}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <label className="check">
          <input
            type="checkbox"
            name="includeBody"
            checked={includeBody}
            disabled={eventType.endsWith('response')}
            onChange={(e) => setIncludeBody(e.target.checked)}
          />
          Include the request body (request events only)
        </label>
        <button className="btn primary" disabled={busy}>
          {busy ? 'Deploying…' : 'Deploy'}
        </button>
      </form>
      {deployed && (
        <section className="card" aria-label="Propagation">
          <h2>
            Deploying {deployed.trigger.function} to {deployed.trigger.distributionId} ({deployed.trigger.behavior},{' '}
            {deployed.trigger.eventType})
          </h2>
          <DeployProgress version={deployed.snapshot} distributionId={deployed.trigger.distributionId} />
        </section>
      )}
    </div>
  );
}

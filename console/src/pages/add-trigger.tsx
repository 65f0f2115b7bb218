/**
 * @module console/pages/add-trigger
 * Attach a published version to a distribution: choose the distribution, then one of its
 * cache behaviors, then the event type and include-body; deploy, and watch the snapshot reach
 * every PoP until the distribution is `Deployed`. One trigger per event type per behavior:
 * a new one replaces the old (docs/api.md, `POST /triggers`), or, as a canary, runs next to it
 * for a share of viewers (steps, auto-rollback), followed live on this page (canary.tsx).
 */
import { useState } from 'react';
import type { EventType, Trigger } from '../api.js';
import { DeployProgress } from '../deploy-progress.js';
import { CanaryPanel } from './canary.js';
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
  const [canary, setCanary] = useState(false);
  const [percent, setPercent] = useState('10');
  const [steps, setSteps] = useState('');
  const [stepInterval, setStepInterval] = useState('');
  const [autoRollback, setAutoRollback] = useState(true);
  const { error, run } = useAction();
  const [deployed, setDeployed] = useState<{ trigger: Trigger; snapshot: number } | undefined>();
  const [busy, setBusy] = useState(false);

  const versions = [...(fn.data?.versions ?? [])].sort((a, b) => b.version - a.version);
  const chosenVersion = version || String(versions[0]?.version ?? '');
  const dist = dists.data?.find((d) => d.id === distributionId);
  const behaviors = dist ? ['default', ...(dist.config.cacheBehaviors ?? []).map((b) => b.pathPattern)] : [];
  // What runs at the chosen place now: a canary runs next to it.
  const current = useLoad(
    async (c) =>
      distributionId
        ? (await c.triggers.list(distributionId)).find((t) => t.behavior === behavior && t.eventType === eventType)
        : undefined,
    [distributionId, behavior, eventType],
  );

  /** The canary part of the request, as typed: the API names what is wrong with it. */
  function canaryInput() {
    const list = steps
      .split(/[\s,]+/)
      .filter(Boolean)
      .map(Number);
    return {
      percent: Number(percent),
      ...(list.length ? { steps: list } : {}),
      ...(stepInterval.trim() ? { stepIntervalSeconds: Number(stepInterval) } : {}),
      autoRollback,
    };
  }

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
        ...(canary ? { canary: canaryInput() } : {}),
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
          claimed={[
            '$.distributionId',
            '$.behavior',
            '$.eventType',
            '$.function',
            '$.includeBody',
            '$.canary.percent',
            '$.canary.steps',
            '$.canary.stepIntervalSeconds',
          ]}
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
        <fieldset className="rollout">
          <legend>Roll out</legend>
          <p className="muted small">
            {current.data
              ? `${current.data.function} runs here now.`
              : distributionId
                ? 'Nothing runs here yet: a canary needs a version already attached.'
                : ''}
          </p>
          <label className="check">
            <input type="checkbox" name="canary" checked={canary} onChange={(e) => setCanary(e.target.checked)} />
            Canary: run this version for a share of viewers next to the one attached, compared live
          </label>
          {canary && (
            <>
              <div className="form-row">
                <Field
                  label="Share of viewers (%)"
                  error={error}
                  path="$.canary.percent"
                  hint="1–99, sticky per viewer"
                >
                  <input
                    name="percent"
                    inputMode="numeric"
                    value={percent}
                    onChange={(e) => setPercent(e.target.value)}
                  />
                </Field>
                <Field label="Steps (%)" error={error} path="$.canary.steps" hint="e.g. 10, 50, 100; empty: hold">
                  <input name="steps" value={steps} onChange={(e) => setSteps(e.target.value)} />
                </Field>
                <Field label="Step interval (s)" error={error} path="$.canary.stepIntervalSeconds" hint="default 300">
                  <input
                    name="stepInterval"
                    inputMode="numeric"
                    value={stepInterval}
                    onChange={(e) => setStepInterval(e.target.value)}
                  />
                </Field>
              </div>
              <label className="check">
                <input
                  type="checkbox"
                  name="autoRollback"
                  checked={autoRollback}
                  onChange={(e) => setAutoRollback(e.target.checked)}
                />
                Roll back by itself when its error rate or p99 is worse than the previous version&apos;s
              </label>
            </>
          )}
        </fieldset>
        <button className="btn primary" disabled={busy}>
          {busy ? 'Deploying…' : canary ? 'Start canary' : 'Deploy'}
        </button>
      </form>
      {deployed && (
        <section className="card" aria-label="Propagation">
          <h2>
            {deployed.trigger.canary
              ? `Starting canary ${deployed.trigger.canary.function} for ${deployed.trigger.canary.percent}% of viewers`
              : `Deploying ${deployed.trigger.function}`}{' '}
            on {deployed.trigger.distributionId} ({deployed.trigger.behavior}, {deployed.trigger.eventType})
          </h2>
          <DeployProgress version={deployed.snapshot} distributionId={deployed.trigger.distributionId} />
        </section>
      )}
      {deployed?.trigger.canary && (
        <CanaryPanel distributionId={deployed.trigger.distributionId} triggerId={deployed.trigger.id} />
      )}
    </div>
  );
}

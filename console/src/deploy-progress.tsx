/**
 * @module console/deploy-progress
 * The propagation picture: one lane per PoP that fills as the PoP applies the snapshot, with
 * the distribution's status above. Driven by the shared client's `watchDeployment` (it polls
 * the documented routes: the deployment's acks, `/pops` and the distribution).
 *
 * The component outlives the snapshot it follows (Add trigger, Roll back again): a report is
 * shown only for the snapshot asked for, and a watch that was replaced reports nothing more, so
 * the previous snapshot's Deployed never stands for the next one while it is InProgress.
 */
import { useEffect, useState } from 'react';
import { messageOf, watchDeployment, type DeploymentProgress } from './api.js';
import { Badge, useClient } from './ui.js';

export function DeployProgress(props: { version: number; distributionId?: string }) {
  const client = useClient();
  const [p, setP] = useState<DeploymentProgress | undefined>();
  const [error, setError] = useState<unknown>();
  const [elapsed, setElapsed] = useState(0);

  useEffect(() => {
    const ac = new AbortController();
    const started = Date.now();
    setP(undefined);
    setError(undefined);
    void (async () => {
      try {
        const w = watchDeployment(client, {
          version: props.version,
          ...(props.distributionId ? { distributionId: props.distributionId } : {}),
          intervalMs: 250,
          signal: ac.signal,
        });
        for await (const progress of w) {
          // A request in flight when this watch was replaced still answers: drop it.
          if (ac.signal.aborted) return;
          setP(progress);
          setElapsed(Date.now() - started);
        }
      } catch (e) {
        if (!ac.signal.aborted) setError(e);
      }
    })();
    return () => ac.abort();
  }, [client, props.version, props.distributionId]);

  if (error) return <div className="alert">{messageOf(error)}</div>;
  if (!p || p.version !== props.version) return <p className="muted">Waiting for the first report…</p>;
  const status = p.failed ? 'failed' : p.done ? 'Deployed' : 'InProgress';
  return (
    <div className="deploy" data-status={status}>
      <div className="row" style={{ marginBottom: 12 }}>
        <strong>Snapshot v{p.version}</strong>
        <Badge value={status} />
        <span className="muted small">{p.done ? `deployed in ${(elapsed / 1000).toFixed(1)} s` : p.reason}</span>
      </div>
      <div className="pops">
        {p.pops.map((pop) => (
          <div key={pop.id} className={'pop ' + pop.state} data-pop={pop.id} data-state={pop.state}>
            <div className="row">
              <strong>{pop.id}</strong>
              <span className="muted small">{pop.region}</span>
            </div>
            <div className="bar">
              <div style={{ width: pop.state === 'applied' ? '100%' : pop.state === 'failed' ? '100%' : '45%' }} />
            </div>
            <div className="row small">
              <Badge value={pop.state} />
              <span className="muted">serving v{pop.appliedVersion}</span>
            </div>
            {pop.error && <div className="field-error">{pop.error}</div>}
          </div>
        ))}
      </div>
    </div>
  );
}

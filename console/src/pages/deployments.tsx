/**
 * @module console/pages/deployments
 * Deploy history: every snapshot, newest first, with what made it (the reason), which PoPs
 * applied it and which refused it (with the PoP's reason), and Roll back, which makes a new
 * snapshot whose content equals the chosen one (docs/api.md, `POST /deployments/rollback`)
 * and follows it to every PoP.
 */
import { useState } from 'react';
import { DeployProgress } from '../deploy-progress.js';
import { ago, Badge, ConfirmButton, FormError, LoadError, useAction, useClient, useLoad } from '../ui.js';

export function DeploymentsPage() {
  const client = useClient();
  const list = useLoad((c) => c.deployments.list(), [], 3000);
  const { error, run } = useAction();
  const [following, setFollowing] = useState<number | undefined>();
  const newest = list.data?.[0]?.version;

  const rollback = (version: number) =>
    run(async () => {
      const d = await client.deployments.rollback(version);
      setFollowing(d.version);
      list.reload();
    });

  return (
    <div className="stack">
      <div className="head">
        <h1 className="grow">Deployments</h1>
      </div>
      <p className="muted">
        Every change (a trigger, a distribution, a key group) makes a new snapshot of the whole configuration that each
        PoP applies. Rolling back makes a new snapshot equal to an earlier one.
      </p>
      <FormError error={error} />
      {following !== undefined && (
        <section className="card" aria-label="Rollback progress">
          <DeployProgress version={following} />
        </section>
      )}
      <LoadError error={list.error} />
      <section className="card flush">
        <div className="scroll">
          <table className="stacked">
            <thead>
              <tr>
                <th>Snapshot</th>
                <th>Reason</th>
                <th>PoPs</th>
                <th>Created</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {(list.data ?? []).map((d) => {
                const refused = Object.entries(d.acks).filter(([, a]) => !a.ok);
                return (
                  <tr key={d.version} data-snapshot={d.version}>
                    <td>
                      <strong>v{d.version}</strong>
                      {d.version === newest && <div className="muted small">current</div>}
                    </td>
                    <td className="small wrap">{d.reason}</td>
                    <td className="small">
                      {Object.entries(d.acks)
                        .filter(([, a]) => a.ok)
                        .map(([pop]) => (
                          <Badge key={pop} value={pop} tone="ok" />
                        ))}{' '}
                      {d.pending.map((pop) => (
                        <Badge key={pop} value={`${pop} pending`} tone="warn" />
                      ))}
                      {refused.map(([pop, a]) => (
                        <div key={pop} className="field-error wrap" data-refused={pop}>
                          refused by {pop}: {a.error ?? 'no reason given'}
                        </div>
                      ))}
                    </td>
                    <td className="muted small">{ago(d.createdAt)}</td>
                    <td>
                      {d.version !== newest && (
                        <ConfirmButton
                          small
                          label={`Roll back to v${d.version}`}
                          question={`Make a new snapshot equal to v${d.version}?`}
                          onConfirm={() => void rollback(d.version)}
                        />
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}

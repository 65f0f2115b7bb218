/**
 * @module console/pages/distribution-deploys
 * One distribution's deploys: what each PoP serves (its generation, Deployed / InProgress /
 * Refused with the PoP's reason, and the last-known-good generation a refusing PoP keeps
 * serving), and the distribution's history (its generations, newest first) with Roll back,
 * which gives this distribution alone the config and triggers of an earlier generation
 * (docs/api.md, `POST /distributions/{id}/rollback`) and follows it to every PoP.
 */
import { useState } from 'react';
import type { Distribution, PopDeployState } from '../api.js';
import { DeployProgress } from '../deploy-progress.js';
import { ago, Badge, ConfirmButton, Empty, FormError, LoadError, useAction, useClient, useLoad } from '../ui.js';

const TONE: Record<PopDeployState['status'], string> = { Deployed: 'ok', InProgress: 'warn', Refused: 'bad' };

/** What a PoP serves, in words: `g12`, or nothing at all (its hosts answer 403). */
function serving(s: PopDeployState, current: number): string {
  if (s.generation === null) return 'not reported';
  if (s.generation === 0) return 'nothing yet (403)';
  if (s.status === 'Refused' || s.generation < current) return `g${s.generation} (last known good)`;
  return `g${s.generation}`;
}

/** Per PoP: status, the generation served, since when, and the reason of a refusal. */
export function DeployState(props: { dist: Distribution }) {
  const d = props.dist;
  const pops = Object.entries(d.pops ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return (
    <section className="card flush" aria-label="Deploy state">
      <h2>
        Generation g{d.generation} <Badge value={d.status} />
      </h2>
      <p className="muted small" style={{ padding: '0 16px' }}>
        {d.statusText}
      </p>
      <div className="scroll">
        <table className="stacked">
          <thead>
            <tr>
              <th>PoP</th>
              <th>State</th>
              <th>Serving</th>
              <th>Since</th>
            </tr>
          </thead>
          <tbody>
            {pops.map(([pop, s]) => (
              <tr key={pop} data-pop-state={pop} data-state={s.status}>
                <td>
                  <strong>{pop}</strong>
                </td>
                <td>
                  <Badge value={s.status} tone={TONE[s.status]} />
                  {s.error && <div className="field-error wrap small">{s.error}</div>}
                </td>
                <td className="mono small">{serving(s, d.generation)}</td>
                <td className="muted small">{s.at ? ago(s.at) : 'no report yet'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {pops.length === 0 && <Empty>No PoP is registered.</Empty>}
      </div>
    </section>
  );
}

/** The distribution's generations with Roll back to any earlier one, and the rollback's progress. */
export function DeployHistory(props: { dist: Distribution; onRolledBack: () => void }) {
  const client = useClient();
  const d = props.dist;
  const history = useLoad((c) => c.distributions.history(d.id), [d.id, d.generation], 5000);
  const action = useAction();
  const [following, setFollowing] = useState<number | undefined>();
  const [note, setNote] = useState('');

  async function rollback(to: number) {
    setNote('');
    await action.run(async () => {
      const r = await client.distributions.rollback(d.id, to);
      if (r.newSnapshot === null) setNote(`${d.id} already serves what g${to} served: nothing changed.`);
      else setFollowing(r.newSnapshot);
      props.onRolledBack();
      history.reload();
    });
  }

  return (
    <section className="card flush" aria-label="Deploy history">
      <h2>History</h2>
      <p className="muted small" style={{ padding: '0 16px' }}>
        Each change to this distribution (its config or its triggers) is a generation. Rolling back gives this
        distribution alone an earlier generation&apos;s config and triggers, as a new generation; no other distribution
        changes.
      </p>
      <div style={{ padding: '0 16px' }}>
        <FormError error={action.error} />
        {note && <div className="alert info">{note}</div>}
        {following !== undefined && (
          <div aria-label="Rollback progress" style={{ marginBottom: 12 }}>
            <DeployProgress key={following} version={following} distributionId={d.id} />
          </div>
        )}
      </div>
      <LoadError error={history.error} />
      <div className="scroll">
        <table className="stacked">
          <thead>
            <tr>
              <th>Generation</th>
              <th>Change</th>
              <th>Made</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(history.data ?? []).map((g) => (
              <tr key={g.generation} data-generation={g.generation}>
                <td>
                  <strong>g{g.generation}</strong>
                  {g.current && <div className="muted small">current</div>}
                </td>
                <td className="small wrap">{g.reason}</td>
                <td className="muted small">{ago(g.createdAt)}</td>
                <td>
                  {!g.current && (
                    <ConfirmButton
                      small
                      label={`Roll back to g${g.generation}`}
                      question={`Serve ${d.id} as it was at g${g.generation}?`}
                      onConfirm={() => void rollback(g.generation)}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/**
 * @module console/pages/function-versions
 * The Versions tab of a function: publish a version, the list of versions (size, sha256,
 * description) with Add trigger for each.
 */
import { useState } from 'react';
import type { FunctionResource } from '../api.js';
import { go } from '../router.js';
import { ago, bytes, Field, FormError, useAction, useClient } from '../ui.js';

export function VersionsTab(props: { fn: FunctionResource; onPublished: () => void }) {
  const client = useClient();
  const [description, setDescription] = useState('');
  const { error, run } = useAction();
  const [busy, setBusy] = useState(false);
  const versions = [...(props.fn.versions ?? [])].sort((a, b) => b.version - a.version);

  async function publish(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    if (await run(() => client.functions.publish(props.fn.name, description.trim() || undefined))) {
      setDescription('');
      props.onPublished();
    }
    setBusy(false);
  }

  return (
    <div className="stack">
      <form className="card" onSubmit={publish} noValidate aria-label="Publish">
        <FormError error={error} claimed={['$.description']} />
        <div className="row" style={{ alignItems: 'flex-end' }}>
          <div style={{ flex: 1, minWidth: 200 }}>
            <Field label="Description of the new version" error={error} path="$.description">
              <input name="description" value={description} onChange={(e) => setDescription(e.target.value)} />
            </Field>
          </div>
          <button className="btn primary" disabled={busy} style={{ marginBottom: 12 }}>
            Publish new version
          </button>
        </div>
      </form>
      <section className="card flush">
        <div className="scroll">
          <table>
            <thead>
              <tr>
                <th>Version</th>
                <th>Size</th>
                <th>sha256</th>
                <th>Published</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              {versions.map((v) => (
                <tr key={v.version} data-version={v.version}>
                  <td>
                    <strong>{v.version}</strong>
                    {v.description ? <div className="muted small">{v.description}</div> : null}
                  </td>
                  <td>{bytes(v.size)}</td>
                  <td className="mono small" title={v.sha256}>
                    {v.sha256.slice(0, 16)}…
                  </td>
                  <td className="muted">{ago(v.createdAt)}</td>
                  <td>
                    <button
                      className="btn"
                      onClick={() => go(`/functions/${encodeURIComponent(props.fn.name)}/trigger?version=${v.version}`)}
                    >
                      Add trigger
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {versions.length === 0 && (
            <div className="empty">No versions yet. Publish one to attach it to a distribution.</div>
          )}
        </div>
      </section>
    </div>
  );
}

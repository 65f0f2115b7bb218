/**
 * @module console/pages/admin
 * The PoPs and API tokens: every PoP with its region, health, applied snapshot and last
 * contact, and Remove for one gone for good (its edge tokens are revoked and distributions
 * stop waiting for it); tokens listed by name and kind, created with the secret shown once,
 * and revoked.
 */
import { useState } from 'react';
import type { CreatedToken } from '../api.js';
import { ago, Badge, ConfirmButton, Field, FormError, LoadError, useAction, useClient, useLoad } from '../ui.js';

export function PopsPage() {
  const client = useClient();
  const pops = useLoad((c) => c.pops.list(), [], 3000);
  const { error, run } = useAction();
  return (
    <div className="stack">
      <div className="head">
        <h1 className="grow">PoPs</h1>
      </div>
      <LoadError error={pops.error} />
      <FormError error={error} />
      <section className="card flush">
        <div className="scroll">
          <table>
            <thead>
              <tr>
                <th>PoP</th>
                <th>Health</th>
                <th>Snapshot</th>
                <th>Last seen</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {(pops.data ?? []).map((p) => (
                <tr key={p.id} data-pop-row={p.id}>
                  <td>
                    <strong>{p.id}</strong>
                    <div className="muted small">
                      {p.region}
                      {p.location ? ` · ${p.location}` : ''} · edge {p.edgeVersion}
                    </div>
                  </td>
                  <td>
                    <Badge value={p.health} /> {p.connected ? <span className="muted small">connected</span> : null}
                  </td>
                  <td>v{p.appliedVersion}</td>
                  <td className="muted small">{ago(p.lastSeen)}</td>
                  <td>
                    <ConfirmButton
                      small
                      label="Remove"
                      question={`Forget ${p.id}? Its edge tokens are revoked.`}
                      onConfirm={() => void run(() => client.pops.remove(p.id)).then((ok) => ok && pops.reload())}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}

export function TokensPage() {
  const client = useClient();
  const tokens = useLoad((c) => c.tokens.list(), []);
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'admin' | 'edge'>('admin');
  const [pop, setPop] = useState('');
  const [created, setCreated] = useState<CreatedToken | undefined>();
  const { error, run } = useAction();
  const { error: rowError, run: runRow } = useAction();

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setCreated(undefined);
    await run(async () => {
      setCreated(await client.tokens.create({ name, kind, ...(kind === 'edge' ? { pop } : {}) }));
      setName('');
      setPop('');
      tokens.reload();
    });
  }

  return (
    <div className="stack">
      <div className="head">
        <h1 className="grow">API tokens</h1>
      </div>
      <form className="card" onSubmit={submit} noValidate aria-label="Create token">
        <h2>New token</h2>
        <FormError error={error} claimed={['$.name', '$.kind', '$.pop']} />
        <div className="form-row">
          <Field label="Name" error={error} path="$.name" hint="who or what uses it, e.g. ci-deploy">
            <input name="name" value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          <Field label="Kind" error={error} path="$.kind">
            <select name="kind" value={kind} onChange={(e) => setKind(e.target.value as 'admin' | 'edge')}>
              <option value="admin">admin (the whole API)</option>
              <option value="edge">edge (one PoP's replication)</option>
            </select>
          </Field>
          {kind === 'edge' && (
            <Field label="PoP" error={error} path="$.pop">
              <input name="pop" value={pop} onChange={(e) => setPop(e.target.value)} />
            </Field>
          )}
        </div>
        <button className="btn primary">Create token</button>
      </form>
      {created && (
        <div className="alert info" role="status" data-testid="new-token">
          <strong>{created.name}</strong>: copy the secret now, it is not shown again.
          <pre className="wrap" data-testid="token-secret">
            {created.token}
          </pre>
        </div>
      )}
      <LoadError error={tokens.error} />
      <FormError error={rowError} />
      <section className="card flush">
        <div className="scroll">
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Kind</th>
                <th>Created</th>
                <th>Status</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {(tokens.data ?? []).map((t) => (
                <tr key={t.id} data-token={t.name}>
                  <td>
                    {t.name}
                    <div className="mono muted small">{t.id}</div>
                  </td>
                  <td>
                    {t.kind}
                    {t.pop ? ` · ${t.pop}` : ''}
                  </td>
                  <td className="muted small">{ago(t.createdAt)}</td>
                  <td>{t.revokedAt ? <Badge value="revoked" tone="bad" /> : <Badge value="active" tone="ok" />}</td>
                  <td>
                    {!t.revokedAt && (
                      <ConfirmButton
                        small
                        label="Revoke"
                        question={`Revoke ${t.name}?`}
                        onConfirm={() =>
                          void runRow(() => client.tokens.revoke(t.id)).then((ok) => ok && tokens.reload())
                        }
                      />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}

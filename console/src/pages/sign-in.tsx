/**
 * @module console/pages/sign-in
 * Sign in with an admin token: checked against the API before it is stored, so a bad token
 * gets a clear message next to the field instead of a broken console.
 */
import { useState } from 'react';
import { isClientError, verifyToken } from '../api.js';
import { FormError } from '../ui.js';

export function SignIn(props: { onSignedIn: (token: string) => void }) {
  const [token, setToken] = useState('');
  const [problem, setProblem] = useState<string | undefined>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setProblem(undefined);
    setError(undefined);
    const t = token.trim();
    if (!t) return setProblem('Paste a token.');
    setBusy(true);
    try {
      await verifyToken(t);
      props.onSignedIn(t);
    } catch (err) {
      if (isClientError(err) && err.status === 401)
        setProblem('This token was refused: it is wrong or has been revoked.');
      else if (isClientError(err) && err.status === 403)
        setProblem('This is an edge token; the console needs an admin token.');
      else setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="signin">
      <div className="brand" style={{ color: 'var(--ink)' }}>
        <span>▼</span> Verge
      </div>
      <form className="card" onSubmit={submit} noValidate>
        <h2>Sign in</h2>
        <FormError error={error} />
        <label className={'field' + (problem ? ' bad' : '')}>
          <span>Admin token</span>
          <input
            name="token"
            type="password"
            autoComplete="current-password"
            value={token}
            onChange={(e) => setToken(e.target.value)}
            autoFocus
          />
          {problem ? (
            <em className="field-error" role="alert" data-path="$.token">
              {problem}
            </em>
          ) : (
            <em className="muted small">
              <code>verge up</code> writes it to <code>.verge/admin-token</code>.
            </em>
          )}
        </label>
        <button className="btn primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}

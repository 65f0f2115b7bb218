/**
 * @module console/pages/function-config
 * The Configuration tab of a function: handler, limits, env vars and secrets (write-only:
 * the API answers `***`, so the form only sets or deletes them).
 */
import { useState } from 'react';
import type { FunctionResource, LimitProfile } from '../api.js';
import { formatKeyValues, parseKeyValues } from '../forms.js';
import { Field, FormError, useClient } from '../ui.js';

export function ConfigTab(props: { fn: FunctionResource; onSaved: () => void }) {
  const client = useClient();
  const f = props.fn;
  const [env, setEnv] = useState(formatKeyValues(f.env));
  const [secrets, setSecrets] = useState('');
  const [drop, setDrop] = useState<string[]>([]);
  // The API answers null for limits left at their defaults.
  const [memory, setMemory] = useState(f.memoryMB ? String(f.memoryMB) : '');
  const [timeout, setTimeoutMs] = useState(f.timeoutMs ? String(f.timeoutMs) : '');
  const [profile, setProfile] = useState<LimitProfile | ''>(f.profile ?? '');
  const [handler, setHandler] = useState(f.handler ?? '');
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState(false);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setError(undefined);
    setSaved(false);
    try {
      const secretPatch: Record<string, string | null> = parseKeyValues(secrets, '$.secrets');
      for (const k of drop) secretPatch[k] = null;
      await client.functions.update(
        f.name,
        {
          ...(handler.trim() && handler !== f.handler ? { handler: handler.trim() } : {}),
          // Sent as typed so the API's own validation names a bad value.
          ...(memory.trim() ? { memoryMB: numberOrText(memory) } : {}),
          ...(timeout.trim() ? { timeoutMs: numberOrText(timeout) } : {}),
          ...(profile ? { profile } : {}),
          env: parseKeyValues(env, '$.env'),
          ...(Object.keys(secretPatch).length ? { secrets: secretPatch } : {}),
        },
        { ifMatch: f.etag },
      );
      setSecrets('');
      setDrop([]);
      setSaved(true);
      props.onSaved();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <form className="card" onSubmit={submit} noValidate aria-label="Configuration">
      <FormError
        error={error}
        claimed={['$.handler', '$.memoryMB', '$.timeoutMs', '$.profile', '$.env', '$.secrets']}
      />
      {saved && <div className="alert info">Saved. Publish a version to deploy the change.</div>}
      <div className="form-row">
        <Field label="Handler" error={error} path="$.handler">
          <input name="handler" value={handler} onChange={(e) => setHandler(e.target.value)} />
        </Field>
        <Field label="Memory (MB)" error={error} path="$.memoryMB">
          <input
            name="memoryMB"
            inputMode="numeric"
            placeholder="default"
            value={memory}
            onChange={(e) => setMemory(e.target.value)}
          />
        </Field>
        <Field label="Timeout (ms)" error={error} path="$.timeoutMs">
          <input
            name="timeoutMs"
            inputMode="numeric"
            placeholder="default"
            value={timeout}
            onChange={(e) => setTimeoutMs(e.target.value)}
          />
        </Field>
        <Field label="Limit profile" error={error} path="$.profile">
          <select name="profile" value={profile} onChange={(e) => setProfile(e.target.value as LimitProfile | '')}>
            <option value="">default</option>
            <option value="cloudfront">cloudfront</option>
            <option value="relaxed">relaxed</option>
          </select>
        </Field>
      </div>
      <Field label="Environment variables" error={error} path="$.env" hint="KEY=value, one a line">
        <textarea name="env" value={env} onChange={(e) => setEnv(e.target.value)} style={{ minHeight: 80 }} />
      </Field>
      <h3>Secrets</h3>
      {Object.keys(f.secrets).length === 0 && <p className="muted small">No secrets.</p>}
      {Object.keys(f.secrets).map((k) => (
        <label key={k} className="check">
          <code>{k}</code> <span className="muted">***</span>
          <input
            type="checkbox"
            checked={drop.includes(k)}
            onChange={(e) => setDrop(e.target.checked ? [...drop, k] : drop.filter((d) => d !== k))}
          />
          <span className="small">delete</span>
        </label>
      ))}
      <Field
        label="Set secrets"
        error={error}
        path="$.secrets"
        hint="KEY=value; values are encrypted and never shown again"
      >
        <textarea
          name="secrets"
          value={secrets}
          onChange={(e) => setSecrets(e.target.value)}
          style={{ minHeight: 60 }}
        />
      </Field>
      <button className="btn primary">Save configuration</button>
    </form>
  );
}

/** A number when the text is one, else the text itself (the API's error then names the field). */
function numberOrText(s: string): number {
  const n = Number(s.trim());
  return (Number.isFinite(n) ? n : s.trim()) as number;
}

/**
 * @module console/pages/function-detail
 * One function: its `$LATEST` code in the editor (save, upload a zip), configuration (env
 * vars, secrets, limits), the Test tab (any event type, editable JSON, result, logs, duration
 * and errors) and versions (publish, size, sha256, add a trigger).
 */
import { useEffect, useState } from 'react';
import type { EventType, FunctionResource, FunctionTestResult, LimitProfile } from '../api.js';
import { CodeEditor, languageOf } from '../editor.js';
import { fileToBase64, formatKeyValues, parseJson, parseKeyValues } from '../forms.js';
import { go, href } from '../router.js';
import { EVENT_TYPES, sampleEvent } from '../sample-events.js';
import { ago, bytes, Field, FormError, LoadError, useClient, useLoad } from '../ui.js';

type Tab = 'code' | 'config' | 'test' | 'versions';

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
          <div className="muted small">
            {f.runtime} · {f.memoryMB ? `${f.memoryMB} MB` : 'default memory'} ·{' '}
            {f.timeoutMs ? `${f.timeoutMs} ms timeout` : 'default timeout'} · {f.versions?.length ?? 0} versions
          </div>
        </div>
        <a className="btn" href={href('functions', f.name, 'trigger')}>
          Add trigger
        </a>
      </div>
      <div className="tabs" role="tablist">
        {(['code', 'config', 'test', 'versions'] as Tab[]).map((t) => (
          <button
            key={t}
            role="tab"
            aria-selected={tab === t}
            className={tab === t ? 'on' : ''}
            onClick={() => setTab(t)}
          >
            {{ code: 'Code', config: 'Configuration', test: 'Test', versions: 'Versions' }[t]}
          </button>
        ))}
      </div>
      {tab === 'code' && <CodeTab fn={f} onSaved={fn.reload} />}
      {tab === 'config' && <ConfigTab fn={f} onSaved={fn.reload} />}
      {tab === 'test' && <TestTab fn={f} />}
      {tab === 'versions' && <VersionsTab fn={f} onPublished={fn.reload} />}
    </div>
  );
}

function CodeTab(props: { fn: FunctionResource; onSaved: () => void }) {
  const client = useClient();
  const code = useLoad((c) => c.functions.code(props.fn.name), [props.fn.name, props.fn.codeSha256]);
  const [file, setFile] = useState<string>('');
  const [text, setText] = useState<string>('');
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const files = code.data?.files ?? {};
    const first = Object.keys(files).find((p) => !p.includes('node_modules/')) ?? '';
    setFile(first);
    setText(files[first] ?? '');
  }, [code.data]);

  async function save(body: () => Promise<Parameters<typeof client.functions.updateCode>[1]>) {
    setError(undefined);
    setSaved(false);
    setBusy(true);
    try {
      await client.functions.updateCode(props.fn.name, await body(), { ifMatch: props.fn.etag });
      setSaved(true);
      props.onSaved();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  const files = code.data?.files ?? {};
  return (
    <form
      className="card"
      aria-label="Code"
      onSubmit={(e) => {
        e.preventDefault();
        void save(async () => ({ files: { ...files, [file]: text } }));
      }}
    >
      <LoadError error={code.error} />
      <FormError error={error} claimed={['$.code']} />
      {saved && <div className="alert info">Saved to $LATEST. Publish a version to deploy it.</div>}
      <div className="row" style={{ marginBottom: 8 }}>
        <select
          className="input"
          style={{ width: 'auto' }}
          value={file}
          onChange={(e) => (setFile(e.target.value), setText(files[e.target.value] ?? ''))}
        >
          {Object.keys(files).map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
        <span className="muted small">
          {bytes(props.fn.codeSize)} · sha256 {props.fn.codeSha256.slice(0, 12)}
        </span>
      </div>
      <Field label="Code" error={error} path="$.code">
        <CodeEditor label="Function code" value={text} onChange={setText} language={languageOf(file)} />
      </Field>
      <div className="row">
        <button className="btn primary" disabled={busy || !file}>
          Save
        </button>
        <label className="btn">
          Upload zip…
          <input
            type="file"
            accept=".zip,application/zip"
            hidden
            onChange={(e) => {
              const zip = e.target.files?.[0];
              if (zip) void save(async () => ({ zipBase64: await fileToBase64(zip) }));
            }}
          />
        </label>
      </div>
    </form>
  );
}

function ConfigTab(props: { fn: FunctionResource; onSaved: () => void }) {
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

function TestTab(props: { fn: FunctionResource }) {
  const client = useClient();
  const [eventType, setEventType] = useState<EventType>('viewer-request');
  const [version, setVersion] = useState('$LATEST');
  const [text, setText] = useState(() => JSON.stringify(sampleEvent('viewer-request'), null, 2));
  const [result, setResult] = useState<FunctionTestResult | undefined>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  function pickType(t: EventType) {
    setEventType(t);
    setText(JSON.stringify(sampleEvent(t), null, 2));
  }

  async function run(e: React.FormEvent) {
    e.preventDefault();
    setError(undefined);
    setResult(undefined);
    setBusy(true);
    try {
      const event = parseJson(text, '$.event');
      const input = { eventType, event, ...(version === '$LATEST' ? {} : { version: Number(version) }) };
      setResult(await client.functions.test(props.fn.name, input));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="grid">
      <form className="card" onSubmit={run} noValidate aria-label="Test">
        <FormError error={error} claimed={['$.eventType', '$.event', '$.version']} />
        <div className="form-row">
          <Field label="Event type" error={error} path="$.eventType">
            <select name="eventType" value={eventType} onChange={(e) => pickType(e.target.value as EventType)}>
              {EVENT_TYPES.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          </Field>
          <Field label="Version" error={error} path="$.version">
            <select name="version" value={version} onChange={(e) => setVersion(e.target.value)}>
              <option>$LATEST</option>
              {(props.fn.versions ?? []).map((v) => (
                <option key={v.version}>{v.version}</option>
              ))}
            </select>
          </Field>
        </div>
        <Field label="Event (JSON)" error={error} path="$.event">
          <CodeEditor label="Test event" value={text} onChange={setText} language="json" />
        </Field>
        <button className="btn primary" disabled={busy}>
          {busy ? 'Running…' : 'Test'}
        </button>
      </form>
      <section className="card" aria-label="Test result">
        <h2>Result</h2>
        {!result && <p className="muted">Run the function to see what it returns.</p>}
        {result && <TestResultView r={result} />}
      </section>
    </div>
  );
}

function TestResultView(props: { r: FunctionTestResult }) {
  const r = props.r;
  return (
    <div className="test-result">
      <p>
        {r.error ? (
          <span className="badge bad">{r.error.class ?? r.error.code ?? 'error'}</span>
        ) : (
          <span className="badge ok">succeeded</span>
        )}{' '}
        <span className="muted">
          {r.durationMs.toFixed(1)} ms{r.coldStart ? ' · cold start' : ''}
        </span>
      </p>
      {r.error && <div className="alert">{r.error.message}</div>}
      <h3>Returned</h3>
      <pre data-testid="test-output">{JSON.stringify(r.result, null, 2) ?? 'undefined'}</pre>
      <h3>Logs</h3>
      <pre>{r.logs.length ? r.logs.map(logLine).join('\n') : '(no output)'}</pre>
    </div>
  );
}

/** A captured console line (`{ time, level, message }`) as text. */
function logLine(l: unknown): string {
  if (typeof l === 'string') return l;
  const o = l as { level?: string; message?: unknown };
  if (o && typeof o.message === 'string') return `[${o.level ?? 'log'}] ${o.message}`;
  return JSON.stringify(l);
}

function VersionsTab(props: { fn: FunctionResource; onPublished: () => void }) {
  const client = useClient();
  const [description, setDescription] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const versions = [...(props.fn.versions ?? [])].sort((a, b) => b.version - a.version);

  async function publish(e: React.FormEvent) {
    e.preventDefault();
    setError(undefined);
    setBusy(true);
    try {
      await client.functions.publish(props.fn.name, description.trim() || undefined);
      setDescription('');
      props.onPublished();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
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

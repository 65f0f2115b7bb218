/**
 * @module console/pages/function-test
 * The Test tab of a function: any of the four event types as editable JSON, run against
 * `$LATEST` or a version; the result, logs, duration and error.
 */
import { useState } from 'react';
import type { EventType, FunctionResource, FunctionTestResult } from '../api.js';
import { CodeEditor } from '../editor.js';
import { parseJson } from '../forms.js';
import { EVENT_TYPES, sampleEvent } from '../sample-events.js';
import { Field, FormError, useClient } from '../ui.js';

export function TestTab(props: { fn: FunctionResource }) {
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

/**
 * @module console/pages/functions
 * The function list and the create form: from scratch (JavaScript, TypeScript, Python or a
 * CloudFront Function) or from a blueprint, with the inline editor or an uploaded zip, plus
 * env vars and secrets. API errors appear next to the field they name.
 */
import { useMemo, useState } from 'react';
import type { CodeInput, CreateFunctionInput, FunctionRuntime } from '../api.js';
import { BLUEPRINTS, SCRATCH, blueprintById } from '../blueprints.js';
import { CodeEditor, languageOf } from '../editor.js';
import { codeProblem, fileToBase64, localProblem, parseKeyValues } from '../forms.js';
import { go, href } from '../router.js';
import { ago, bytes, Empty, Field, FormError, LoadError, useClient, useLoad } from '../ui.js';

export function FunctionsPage() {
  const list = useLoad((c) => c.functions.list(), []);
  const [creating, setCreating] = useState(false);
  return (
    <div className="stack">
      <div className="head">
        <h1 className="grow">Functions</h1>
        {!creating && (
          <button className="btn primary" onClick={() => setCreating(true)}>
            Create function
          </button>
        )}
      </div>
      {creating && <CreateFunction onCancel={() => setCreating(false)} />}
      <section className="card flush">
        <LoadError error={list.error} />
        <div className="scroll">
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Runtime</th>
                <th>Versions</th>
                <th>Code</th>
                <th>Modified</th>
              </tr>
            </thead>
            <tbody>
              {(list.data ?? []).map((f) => (
                <tr key={f.name} className="click" onClick={() => go(`/functions/${encodeURIComponent(f.name)}`)}>
                  <td>
                    <a href={href('functions', f.name)}>{f.name}</a>
                  </td>
                  <td>{f.runtime}</td>
                  <td>{f.versionCount > 0 ? `${f.versionCount} (latest v${f.latestVersion})` : '–'}</td>
                  <td className="mono small">{bytes(f.codeSize)}</td>
                  <td className="muted">{ago(f.lastModified)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {list.data?.length === 0 && <Empty>No functions yet. Create one from scratch or from a blueprint.</Empty>}
        </div>
      </section>
    </div>
  );
}

const CLAIMED = ['$.name', '$.runtime', '$.handler', '$.code', '$.env', '$.secrets'];

function CreateFunction(props: { onCancel: () => void }) {
  const client = useClient();
  const [name, setName] = useState('');
  const [blueprint, setBlueprint] = useState('node');
  const [runtime, setRuntime] = useState<FunctionRuntime>('nodejs');
  const [filename, setFilename] = useState('index.mjs');
  const [handler, setHandler] = useState('');
  const [source, setSource] = useState(SCRATCH[0]!.source);
  const [zip, setZip] = useState<File | null>(null);
  const [env, setEnv] = useState('');
  const [secrets, setSecrets] = useState('');
  const [error, setError] = useState<unknown>();
  const problem = useMemo(() => codeProblem(error), [error]);
  const [busy, setBusy] = useState(false);

  function pick(id: string) {
    const b = blueprintById(id);
    if (!b) return;
    setBlueprint(id);
    setRuntime(b.runtime);
    setFilename(b.filename);
    setSource(b.source);
    setEnv(
      Object.entries(b.env ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join('\n'),
    );
    if (!name) setName(b.id === 'node' || b.id === 'ts' || b.id === 'python' || b.id === 'cff' ? '' : b.id);
  }

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setError(undefined);
    setBusy(true);
    try {
      if (!name.trim()) throw localProblem('$.name', 'Give the function a name.');
      const code: CodeInput = zip ? { zipBase64: await fileToBase64(zip) } : { source, filename };
      const input: CreateFunctionInput = { name: name.trim(), runtime, code };
      if (handler.trim()) input.handler = handler.trim();
      const envVars = parseKeyValues(env, '$.env');
      const secretVars = parseKeyValues(secrets, '$.secrets');
      if (Object.keys(envVars).length) input.env = envVars;
      if (Object.keys(secretVars).length) input.secrets = secretVars;
      const created = await client.functions.create(input);
      go(`/functions/${encodeURIComponent(created.name)}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card" onSubmit={submit} noValidate aria-label="Create function">
      <h2>Create a function</h2>
      <FormError error={error} claimed={CLAIMED} />
      <div className="form-row">
        <Field label="Name" error={error} path="$.name" hint="Letters, digits, - and _">
          <input name="name" value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label="Start from">
          <select name="blueprint" value={blueprint} onChange={(e) => pick(e.target.value)}>
            <optgroup label="From scratch">
              {SCRATCH.map((b) => (
                <option key={b.id} value={b.id}>
                  {b.title}
                </option>
              ))}
            </optgroup>
            <optgroup label="Blueprints">
              {BLUEPRINTS.map((b) => (
                <option key={b.id} value={b.id}>
                  {b.title} ({b.eventType})
                </option>
              ))}
            </optgroup>
          </select>
        </Field>
        <Field label="Runtime" error={error} path="$.runtime">
          <select name="runtime" value={runtime} onChange={(e) => setRuntime(e.target.value as FunctionRuntime)}>
            <option value="nodejs">nodejs</option>
            <option value="python">python</option>
            <option value="cloudfront-js-2.0">cloudfront-js-2.0</option>
            <option value="cloudfront-js-1.0">cloudfront-js-1.0</option>
          </select>
        </Field>
        <Field label="File name" hint=".mjs/.js, .ts or .py">
          <input name="filename" value={filename} onChange={(e) => setFilename(e.target.value)} />
        </Field>
        <Field label="Handler" error={error} path="$.handler" hint="Default: index.handler">
          <input
            name="handler"
            value={handler}
            placeholder="index.handler"
            onChange={(e) => setHandler(e.target.value)}
          />
        </Field>
      </div>
      {blueprintById(blueprint)?.summary && <p className="muted small">{blueprintById(blueprint)!.summary}</p>}
      <Field label="Code" error={problem ? undefined : error} path="$.code">
        {zip ? (
          <div className="row">
            <span className="mono">{zip.name}</span>
            <button type="button" className="btn" onClick={() => setZip(null)}>
              Use the editor instead
            </button>
          </div>
        ) : (
          <CodeEditor
            label="Function code"
            value={source}
            onChange={setSource}
            language={languageOf(filename)}
            problem={problem}
          />
        )}
      </Field>
      <Field label="…or upload a zip" hint="The package: handler file at the top, node_modules included">
        <input
          name="zip"
          type="file"
          accept=".zip,application/zip"
          onChange={(e) => setZip(e.target.files?.[0] ?? null)}
        />
      </Field>
      <div className="form-row">
        <Field label="Environment variables" error={error} path="$.env" hint="KEY=value, one a line">
          <textarea
            name="env"
            value={env}
            onChange={(e) => setEnv(e.target.value)}
            rows={3}
            style={{ minHeight: 70 }}
          />
        </Field>
        <Field label="Secrets" error={error} path="$.secrets" hint="KEY=value; stored encrypted, never shown again">
          <textarea
            name="secrets"
            value={secrets}
            onChange={(e) => setSecrets(e.target.value)}
            rows={3}
            style={{ minHeight: 70 }}
          />
        </Field>
      </div>
      <div className="row">
        <button className="btn primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create function'}
        </button>
        <button type="button" className="btn" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

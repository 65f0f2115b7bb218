/**
 * @module console/pages/function-code
 * The Code tab of a function: its `$LATEST` files in the editor, Save (with If-Match) and
 * upload of a zip.
 */
import { useEffect, useMemo, useState } from 'react';
import type { FunctionResource } from '../api.js';
import { CodeEditor, languageOf } from '../editor.js';
import { codeProblem, fileToBase64 } from '../forms.js';
import { bytes, Field, FormError, LoadError, useAction, useClient, useLoad } from '../ui.js';

export function CodeTab(props: { fn: FunctionResource; onSaved: () => void }) {
  const client = useClient();
  const code = useLoad((c) => c.functions.code(props.fn.name), [props.fn.name, props.fn.codeSha256]);
  const [file, setFile] = useState<string>('');
  const [text, setText] = useState<string>('');
  const { error, run } = useAction();
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const files = code.data?.files ?? {};
    const first = Object.keys(files).find((p) => !p.includes('node_modules/')) ?? '';
    setFile(first);
    setText(files[first] ?? '');
  }, [code.data]);

  async function save(body: () => Promise<Parameters<typeof client.functions.updateCode>[1]>) {
    setSaved(false);
    setBusy(true);
    if (await run(async () => client.functions.updateCode(props.fn.name, await body(), { ifMatch: props.fn.etag }))) {
      setSaved(true);
      props.onSaved();
    }
    setBusy(false);
  }

  const files = code.data?.files ?? {};
  // The deploy gate's compile error, shown at its line (the file is picked when it is another one).
  const found = useMemo(() => codeProblem(error), [error]);
  // Marked in the editor when it is in the file shown; otherwise the field's message names the file.
  const problem = found && (!found.file || found.file === file) ? found : undefined;
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
      <Field label="Code" error={problem ? undefined : error} path="$.code">
        <CodeEditor
          label="Function code"
          value={text}
          onChange={setText}
          language={languageOf(file)}
          problem={problem}
        />
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

/**
 * @module console/pages/distribution-editor
 * Create a distribution from a short form (id, one origin, a managed cache policy) or from a
 * JSON document, and edit an existing one as JSON. The API validates with the same schema as
 * `verge apply` and the CLI; its problems show at the form's fields, or, for JSON, as a list
 * of JSON paths under the editor. Edits PUT with If-Match, so a concurrent change is refused.
 */
import { useState } from 'react';
import type { Distribution, DistributionConfig } from '../api.js';
import { CodeEditor } from '../editor.js';
import { parseJson } from '../forms.js';
import { go } from '../router.js';
import { Field, FormError, useAction, useClient } from '../ui.js';

const CACHE_POLICIES = ['CachingOptimized', 'CachingDisabled', 'CachingOptimizedForUncompressedObjects'];

/** The config the short form describes (sent as typed: the API names what is wrong). */
export function configFromForm(f: {
  id: string;
  comment: string;
  aliases: string;
  domainName: string;
  port: string;
  protocol: string;
  cachePolicy: string;
}): DistributionConfig {
  const port = f.port.trim() === '' ? undefined : Number(f.port.trim());
  const aliases = f.aliases.split(/[\s,]+/).filter(Boolean);
  return {
    id: f.id.trim(),
    ...(f.comment.trim() ? { comment: f.comment.trim() } : {}),
    ...(aliases.length ? { aliases } : {}),
    origins: [
      {
        id: 'origin',
        domainName: f.domainName.trim(),
        ...(port === undefined ? {} : { port: Number.isFinite(port) ? port : (f.port as unknown as number) }),
        protocol: f.protocol as 'http' | 'https',
      },
    ],
    defaultCacheBehavior: { targetOriginId: 'origin', cachePolicy: f.cachePolicy },
  };
}

const FORM_PATHS = ['$.id', '$.comment', '$.aliases', '$.origins', '$.defaultCacheBehavior'];

export function CreateDistribution(props: { onCancel: () => void }) {
  const client = useClient();
  const [mode, setMode] = useState<'form' | 'json'>('form');
  const [f, setF] = useState({
    id: '',
    comment: '',
    aliases: '',
    domainName: '',
    port: '',
    protocol: 'https',
    cachePolicy: 'CachingOptimized',
  });
  const [json, setJson] = useState('');
  const { error, busy, run } = useAction();
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });

  function toJson() {
    setJson(JSON.stringify(configFromForm(f), null, 2));
    setMode('json');
  }

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    await run(async () => {
      const config = mode === 'form' ? configFromForm(f) : (parseJson(json, '$') as DistributionConfig);
      const d = await client.distributions.create(config);
      go(`/distributions/${encodeURIComponent(d.id)}`);
      props.onCancel();
    });
  }

  return (
    <form className="card" onSubmit={submit} noValidate aria-label="Create distribution">
      <div className="row" style={{ justifyContent: 'space-between' }}>
        <h2 style={{ margin: 0 }}>New distribution</h2>
        <div className="tabs" role="tablist" style={{ marginBottom: 0, borderBottom: 0 }}>
          <button type="button" role="tab" className={mode === 'form' ? 'on' : ''} onClick={() => setMode('form')}>
            Form
          </button>
          <button type="button" role="tab" className={mode === 'json' ? 'on' : ''} onClick={toJson}>
            JSON
          </button>
        </div>
      </div>
      <FormError error={error} claimed={mode === 'form' ? FORM_PATHS : []} />
      {mode === 'form' ? (
        <>
          <div className="form-row">
            <Field label="ID" error={error} path="$.id" hint="lower-case letters, digits and -">
              <input name="id" value={f.id} onChange={set('id')} />
            </Field>
            <Field
              label="Alternate domain names"
              error={error}
              path="$.aliases"
              hint="shop.example.com, space separated"
            >
              <input name="aliases" value={f.aliases} onChange={set('aliases')} />
            </Field>
            <Field label="Comment" error={error} path="$.comment">
              <input name="comment" value={f.comment} onChange={set('comment')} />
            </Field>
          </div>
          <h3>Origin</h3>
          <div className="form-row">
            <Field label="Origin domain" error={error} path="$.origins[0].domainName" hint="example.com or 127.0.0.1">
              <input name="domainName" value={f.domainName} onChange={set('domainName')} />
            </Field>
            <Field label="Port" error={error} path="$.origins[0].port" hint="default 443 / 80">
              <input name="port" inputMode="numeric" value={f.port} onChange={set('port')} />
            </Field>
            <Field label="Protocol" error={error} path="$.origins[0].protocol">
              <select name="protocol" value={f.protocol} onChange={set('protocol')}>
                <option value="https">https</option>
                <option value="http">http</option>
              </select>
            </Field>
            <Field label="Cache policy" error={error} path="$.defaultCacheBehavior">
              <select name="cachePolicy" value={f.cachePolicy} onChange={set('cachePolicy')}>
                {CACHE_POLICIES.map((p) => (
                  <option key={p}>{p}</option>
                ))}
              </select>
            </Field>
          </div>
          <p className="muted small">
            More origins, behaviors and policies: switch to JSON (docs/configuration.md describes every field).
          </p>
        </>
      ) : (
        <Field label="Distribution config (JSON)" hint="problems are listed above by JSON path">
          <CodeEditor label="Distribution JSON" value={json} onChange={setJson} language="json" />
        </Field>
      )}
      <div className="row">
        <button className="btn primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create distribution'}
        </button>
        <button type="button" className="btn ghost" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** The config as the user wrote it: `keyGroups` is filled by the control plane and never sent back. */
function editable(c: DistributionConfig): DistributionConfig {
  const { keyGroups: _filled, ...rest } = c;
  return rest;
}

export function EditDistribution(props: { dist: Distribution; onDone: () => void }) {
  const client = useClient();
  const [json, setJson] = useState(() => JSON.stringify(editable(props.dist.config), null, 2));
  const { error, busy, run } = useAction();

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    const config = () => parseJson(json, '$') as DistributionConfig;
    if (await run(() => client.distributions.update(props.dist.id, config(), { ifMatch: props.dist.etag })))
      props.onDone();
  }

  return (
    <form className="card" onSubmit={submit} noValidate aria-label="Edit distribution">
      <h2>Edit {props.dist.id}</h2>
      <FormError error={error} />
      <Field label="Distribution config (JSON)" hint="problems are listed above by JSON path">
        <CodeEditor label="Distribution JSON" value={json} onChange={setJson} language="json" />
      </Field>
      <div className="row">
        <button className="btn primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save and deploy'}
        </button>
        <button type="button" className="btn ghost" onClick={props.onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

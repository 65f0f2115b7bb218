/**
 * @module console/pages/keys
 * Signing keys for signed URLs and cookies (docs/configuration.md, "Signed URLs and cookies"):
 * public keys (upload a PEM, delete) and key groups (create from public keys, change their
 * keys to rotate, delete). Cache
 * behaviors trust key groups by id on the distribution page. The API's refusals (a PEM that
 * is not a 2048-bit RSA key, a group still trusted by a behavior) show at their fields.
 */
import { useState } from 'react';
import type { KeyGroup, PublicKey } from '../api.js';
import { ago, Empty, Field, FormError, LoadError, useAction, useClient, useLoad, type Loaded } from '../ui.js';

export function KeysPage() {
  const keys = useLoad((c) => c.publicKeys.list(), []);
  const groups = useLoad((c) => c.keyGroups.list(), []);
  const reload = () => {
    keys.reload();
    groups.reload();
  };
  return (
    <div className="stack">
      <div className="head">
        <h1 className="grow">Signing keys</h1>
      </div>
      <p className="muted">
        Cache behaviors that trust a key group serve only signed URLs and signed cookies made with one of its keys (the
        key's ID is the <code>Key-Pair-Id</code>). Choose trusted key groups per behavior on the Distributions page.
      </p>
      <PublicKeys keys={keys} onChange={reload} />
      <KeyGroups keys={keys.data ?? []} groups={groups} onChange={reload} />
    </div>
  );
}

type KeysLoad = Loaded<PublicKey[]>;
type GroupsLoad = Loaded<KeyGroup[]>;

function PublicKeys(props: { keys: KeysLoad; onChange: () => void }) {
  const client = useClient();
  const [name, setName] = useState('');
  const [pem, setPem] = useState('');
  const [comment, setComment] = useState('');
  const [error, setError] = useState<unknown>();
  const rows = useAction();

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setError(undefined);
    try {
      await client.publicKeys.create({ name, encodedKey: pem, ...(comment ? { comment } : {}) });
      setName('');
      setPem('');
      setComment('');
      props.onChange();
    } catch (err) {
      setError(err);
    }
  }

  async function remove(id: string) {
    if (await rows.run(() => client.publicKeys.delete(id))) props.onChange();
  }

  return (
    <section className="card">
      <h2>Public keys</h2>
      <LoadError error={props.keys.error} />
      <FormError error={rows.error} />
      <div className="scroll">
        <table>
          <thead>
            <tr>
              <th>ID (Key-Pair-Id)</th>
              <th>Name</th>
              <th>Comment</th>
              <th>Uploaded</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(props.keys.data ?? []).map((k) => (
              <tr key={k.id} data-public-key={k.name}>
                <td className="mono small">{k.id}</td>
                <td>{k.name}</td>
                <td className="muted small">{k.comment}</td>
                <td className="muted small">{ago(k.createdTime)}</td>
                <td>
                  <button className="btn small danger" onClick={() => void remove(k.id)}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {props.keys.data?.length === 0 && <Empty>No public keys yet.</Empty>}
      </div>
      <form onSubmit={submit} noValidate aria-label="Upload public key" className="stack" style={{ marginTop: 12 }}>
        <h3>Upload a public key</h3>
        <FormError error={error} claimed={['$.name', '$.encodedKey', '$.comment']} />
        <div className="form-row">
          <Field label="Name" error={error} path="$.name">
            <input name="name" value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          <Field label="Comment" error={error} path="$.comment">
            <input name="comment" value={comment} onChange={(e) => setComment(e.target.value)} />
          </Field>
        </div>
        <Field
          label="Public key (PEM)"
          error={error}
          path="$.encodedKey"
          hint="RSA 2048-bit: openssl rsa -pubout -in private_key.pem"
        >
          <textarea
            name="encodedKey"
            rows={6}
            className="mono"
            placeholder="-----BEGIN PUBLIC KEY-----"
            value={pem}
            onChange={(e) => setPem(e.target.value)}
          />
        </Field>
        <div>
          <button className="btn primary">Upload key</button>
        </div>
      </form>
    </section>
  );
}

/**
 * A group's keys with Change keys: rotate by adding the new key, moving signers over, then
 * removing the old one (PUT /key-groups/{id} with If-Match; the change deploys to every PoP).
 */
function GroupKeys(props: {
  group: KeyGroup;
  keys: Array<{ id: string; name: string }>;
  keyName: (id: string) => string;
  onChange: () => void;
}) {
  const client = useClient();
  const g = props.group;
  const [editing, setEditing] = useState(false);
  const [picked, setPicked] = useState<string[]>(g.publicKeyIds);
  const [error, setError] = useState<unknown>();

  async function save(e: React.FormEvent) {
    e.preventDefault();
    setError(undefined);
    try {
      await client.keyGroups.update(
        g.id,
        { name: g.name, publicKeyIds: picked, ...(g.comment ? { comment: g.comment } : {}) },
        { ifMatch: g.etag },
      );
      setEditing(false);
      props.onChange();
    } catch (err) {
      setError(err);
    }
  }

  if (!editing)
    return (
      <>
        {g.publicKeyIds.map(props.keyName).join(', ')}{' '}
        <button
          className="btn small"
          onClick={() => {
            setPicked(g.publicKeyIds);
            setEditing(true);
          }}
        >
          Change keys
        </button>
      </>
    );
  return (
    <form onSubmit={save} noValidate aria-label={`Keys of ${g.name}`}>
      <Field label="Public keys" error={error} path="$.publicKeyIds">
        <div className="checks">
          {props.keys.map((k) => (
            <label key={k.id} className="check">
              <input
                type="checkbox"
                name="groupKeyIds"
                value={k.id}
                checked={picked.includes(k.id)}
                onChange={(e) => setPicked((p) => (e.target.checked ? [...p, k.id] : p.filter((x) => x !== k.id)))}
              />
              {k.name}
            </label>
          ))}
        </div>
      </Field>
      <FormError error={error} claimed={['$.publicKeyIds']} />
      <button className="btn primary small">Save keys</button>{' '}
      <button type="button" className="btn ghost small" onClick={() => setEditing(false)}>
        Cancel
      </button>
    </form>
  );
}

function KeyGroups(props: { keys: Array<{ id: string; name: string }>; groups: GroupsLoad; onChange: () => void }) {
  const client = useClient();
  const [name, setName] = useState('');
  const [comment, setComment] = useState('');
  const [picked, setPicked] = useState<string[]>([]);
  const [error, setError] = useState<unknown>();
  const rows = useAction();
  const keyName = (id: string) => props.keys.find((k) => k.id === id)?.name ?? id;

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setError(undefined);
    try {
      await client.keyGroups.create({ name, publicKeyIds: picked, ...(comment ? { comment } : {}) });
      setName('');
      setComment('');
      setPicked([]);
      props.onChange();
    } catch (err) {
      setError(err);
    }
  }

  async function remove(id: string) {
    if (await rows.run(() => client.keyGroups.delete(id))) props.onChange();
  }

  return (
    <section className="card">
      <h2>Key groups</h2>
      <LoadError error={props.groups.error} />
      <FormError error={rows.error} />
      <div className="scroll">
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>ID</th>
              <th>Public keys</th>
              <th>Modified</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(props.groups.data ?? []).map((g) => (
              <tr key={g.id} data-key-group={g.name}>
                <td>{g.name}</td>
                <td className="mono small">{g.id}</td>
                <td className="small">
                  <GroupKeys
                    group={g}
                    keys={props.keys}
                    keyName={keyName}
                    onChange={() => {
                      rows.clear();
                      props.onChange();
                    }}
                  />
                </td>
                <td className="muted small">{ago(g.lastModifiedTime)}</td>
                <td>
                  <button className="btn small danger" onClick={() => void remove(g.id)}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {props.groups.data?.length === 0 && <Empty>No key groups yet.</Empty>}
      </div>
      <form onSubmit={submit} noValidate aria-label="Create key group" className="stack" style={{ marginTop: 12 }}>
        <h3>Create a key group</h3>
        <FormError error={error} claimed={['$.name', '$.publicKeyIds', '$.comment']} />
        <div className="form-row">
          <Field label="Name" error={error} path="$.name">
            <input name="name" value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          <Field label="Comment" error={error} path="$.comment">
            <input name="comment" value={comment} onChange={(e) => setComment(e.target.value)} />
          </Field>
        </div>
        <Field label="Public keys" error={error} path="$.publicKeyIds" hint="one to five keys">
          <div className="checks">
            {props.keys.map((k) => (
              <label key={k.id} className="check">
                <input
                  type="checkbox"
                  name="publicKeyIds"
                  value={k.id}
                  checked={picked.includes(k.id)}
                  onChange={(e) => setPicked((p) => (e.target.checked ? [...p, k.id] : p.filter((x) => x !== k.id)))}
                />{' '}
                {k.name} <span className="mono muted small">{k.id}</span>
              </label>
            ))}
            {props.keys.length === 0 && <span className="muted small">Upload a public key first.</span>}
          </div>
        </Field>
        <div>
          <button className="btn primary">Create key group</button>
        </div>
      </form>
    </section>
  );
}

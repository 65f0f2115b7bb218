/**
 * @module console/pages/distribution-invalidations
 * One distribution's invalidations: create by paths or tags (errors at their fields), and the
 * list with each PoP's progress.
 */
import { useState, type FormEvent } from 'react';
import { ago, Badge, Empty, Field, FormError, useAction, useClient, useLoad } from '../ui.js';

export function Invalidations(props: { distributionId: string }) {
  const client = useClient();
  const list = useLoad((c) => c.invalidations.list(props.distributionId), [props.distributionId], 3000);
  const [paths, setPaths] = useState('');
  const [tags, setTags] = useState('');
  const { error, run } = useAction();

  async function submit(e: FormEvent) {
    e.preventDefault();
    const split = (s: string) => s.split(/[\s,]+/).filter(Boolean);
    const input = { distributionId: props.distributionId, paths: split(paths), tags: split(tags) };
    if (await run(() => client.invalidations.create(input))) {
      setPaths('');
      setTags('');
      list.reload();
    }
  }

  return (
    <section className="card">
      <h2>Invalidations</h2>
      <form onSubmit={submit} noValidate aria-label="Create invalidation">
        <FormError error={error} claimed={['$.paths', '$.tags']} />
        <div className="form-row">
          <Field label="Paths" error={error} path="$.paths" hint="/img/* /index.html (space or comma separated)">
            <input name="paths" value={paths} onChange={(e) => setPaths(e.target.value)} />
          </Field>
          <Field label="Tags" error={error} path="$.tags" hint="product-42">
            <input name="tags" value={tags} onChange={(e) => setTags(e.target.value)} />
          </Field>
        </div>
        <button className="btn primary">Invalidate</button>
      </form>
      <div className="scroll" style={{ marginTop: 12 }}>
        <table>
          <tbody>
            {(list.data ?? []).map((inv) => (
              <tr key={inv.id}>
                <td className="mono small">{inv.id}</td>
                <td className="mono small">{[...inv.paths, ...inv.tags.map((t) => `tag:${t}`)].join(' ')}</td>
                <td>
                  <Badge value={inv.status} />
                  <div className="muted small">
                    {Object.entries(inv.pops)
                      .map(([pop, s]) => `${pop}: ${s.status}`)
                      .join(' · ')}
                  </div>
                </td>
                <td className="muted small">{ago(inv.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.data?.length === 0 && <Empty>No invalidations.</Empty>}
      </div>
    </section>
  );
}

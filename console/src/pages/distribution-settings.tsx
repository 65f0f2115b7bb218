/**
 * @module console/pages/distribution-settings
 * The viewer-access settings of one distribution as a form (docs/configuration.md): the
 * default root object, the geographic restriction (type and country codes) and, per cache
 * behavior, the key groups it trusts for signed URLs and cookies. Saving reads the config with
 * its ETag, changes only these fields and PUTs it back with If-Match, so a concurrent edit is
 * refused rather than overwritten; the API's problems show at their fields.
 */
import { useEffect, useState } from 'react';
import type { Distribution, DistributionConfig, KeyGroup } from '../api.js';
import { Field, FormError, useAction, useClient } from '../ui.js';

type GeoType = 'none' | 'allowlist' | 'blocklist';

/** CloudFront's API spells the list types whitelist/blacklist; the form shows the current names. */
function geoTypeOf(c: DistributionConfig): GeoType {
  const t = c.restrictions?.geoRestriction.restrictionType ?? 'none';
  if (t === 'whitelist') return 'allowlist';
  if (t === 'blacklist') return 'blocklist';
  return t;
}

/** `[JSON path, label, trusted ids]` for the default behavior and each ordered behavior. */
function behaviorsOf(c: DistributionConfig): Array<[string, string, string[]]> {
  return [
    ...(c.cacheBehaviors ?? []).map((b, i): [string, string, string[]] => [
      `$.cacheBehaviors[${i}]`,
      b.pathPattern,
      b.trustedKeyGroups ?? [],
    ]),
    ['$.defaultCacheBehavior', 'Default (*)', c.defaultCacheBehavior.trustedKeyGroups ?? []],
  ];
}

/** The config with the form's values in place; fields the form does not own are kept as they are. */
export function withSettings(
  c: DistributionConfig,
  s: { rootObject: string; geoType: GeoType; countries: string; trusted: Record<string, string[]> },
): DistributionConfig {
  const next: DistributionConfig = structuredClone(c);
  delete next.keyGroups; // filled by the control plane from its key-group store, never sent
  if (s.rootObject.trim()) next.defaultRootObject = s.rootObject.trim();
  else delete next.defaultRootObject;
  const locations = s.countries.split(/[\s,]+/).filter(Boolean);
  if (s.geoType === 'none' && locations.length === 0) delete next.restrictions;
  else next.restrictions = { geoRestriction: { restrictionType: s.geoType, locations } };
  const put = (b: { trustedKeyGroups?: string[] }, ids: string[] | undefined) => {
    if (ids && ids.length > 0) b.trustedKeyGroups = ids;
    else delete b.trustedKeyGroups;
  };
  put(next.defaultCacheBehavior, s.trusted['$.defaultCacheBehavior']);
  (next.cacheBehaviors ?? []).forEach((b, i) => put(b, s.trusted[`$.cacheBehaviors[${i}]`]));
  return next;
}

export function DistributionSettings(props: { dist: Distribution; keyGroups: KeyGroup[]; onSaved: () => void }) {
  const client = useClient();
  const c = props.dist.config;
  const [rootObject, setRootObject] = useState(c.defaultRootObject ?? '');
  const [geoType, setGeoType] = useState<GeoType>(geoTypeOf(c));
  const [countries, setCountries] = useState((c.restrictions?.geoRestriction.locations ?? []).join(' '));
  const [trusted, setTrusted] = useState<Record<string, string[]>>(() =>
    Object.fromEntries(behaviorsOf(c).map(([path, , ids]) => [path, ids])),
  );
  const { error, busy, run, clear } = useAction();
  const [saved, setSaved] = useState(false);
  // Another distribution picked: start over from its config.
  useEffect(() => {
    setRootObject(c.defaultRootObject ?? '');
    setGeoType(geoTypeOf(c));
    setCountries((c.restrictions?.geoRestriction.locations ?? []).join(' '));
    setTrusted(Object.fromEntries(behaviorsOf(c).map(([path, , ids]) => [path, ids])));
    clear();
  }, [props.dist.id]);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setSaved(false);
    const ok = await run(async () => {
      const current = await client.distributions.getWithEtag(props.dist.id);
      const config = withSettings(current.value.config, { rootObject, geoType, countries, trusted });
      await client.distributions.update(props.dist.id, config, current.etag ? { ifMatch: current.etag } : {});
    });
    if (ok) {
      setSaved(true);
      props.onSaved();
    }
  }

  const behaviors = behaviorsOf(c);
  const claimed = ['$.defaultRootObject', '$.restrictions', ...behaviors.map(([path]) => `${path}.trustedKeyGroups`)];
  return (
    <section className="card">
      <h2>Viewer access</h2>
      <form onSubmit={submit} noValidate aria-label="Viewer access">
        <FormError error={error} claimed={claimed} />
        {saved && !error && (
          <div className="alert info" role="status">
            Saved. The change deploys to every PoP like any other.
          </div>
        )}
        <div className="form-row">
          <Field
            label="Default root object"
            error={error}
            path="$.defaultRootObject"
            hint="served for / only, e.g. index.html (empty: none)"
          >
            <input name="defaultRootObject" value={rootObject} onChange={(e) => setRootObject(e.target.value)} />
          </Field>
          <Field label="Geographic restriction" error={error} path="$.restrictions.geoRestriction.restrictionType">
            <select name="restrictionType" value={geoType} onChange={(e) => setGeoType(e.target.value as GeoType)}>
              <option value="none">None</option>
              <option value="allowlist">Allow list: only these countries</option>
              <option value="blocklist">Block list: all but these countries</option>
            </select>
          </Field>
          <Field
            label="Country codes"
            error={error}
            path="$.restrictions.geoRestriction.locations"
            hint="ISO 3166-1 alpha-2, e.g. US FR DE"
          >
            <input
              name="locations"
              value={countries}
              disabled={geoType === 'none' && countries === ''}
              onChange={(e) => setCountries(e.target.value)}
            />
          </Field>
        </div>
        <h3>Trusted key groups (signed URLs and cookies)</h3>
        {props.keyGroups.length === 0 && (
          <p className="muted small">
            No key groups yet: create one under <a href="#/keys">Signing keys</a>.
          </p>
        )}
        <div className="form-row">
          {behaviors.map(([path, label]) => (
            <Field key={path} label={label} error={error} path={`${path}.trustedKeyGroups`}>
              <div className="checks" data-behavior={label}>
                {props.keyGroups.map((g) => (
                  <label key={g.id} className="check">
                    <input
                      type="checkbox"
                      name={`trustedKeyGroups:${label}`}
                      value={g.id}
                      checked={(trusted[path] ?? []).includes(g.id)}
                      onChange={(e) =>
                        setTrusted((t) => ({
                          ...t,
                          [path]: e.target.checked
                            ? [...(t[path] ?? []), g.id]
                            : (t[path] ?? []).filter((x) => x !== g.id),
                        }))
                      }
                    />
                    {g.name}
                  </label>
                ))}
                {(trusted[path] ?? []).length === 0 && <span className="muted small">not restricted</span>}
              </div>
            </Field>
          ))}
        </div>
        <button className="btn primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save viewer access'}
        </button>
      </form>
    </section>
  );
}

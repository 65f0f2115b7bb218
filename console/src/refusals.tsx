/**
 * @module console/refusals
 * What a PoP said when it refused a snapshot: the deployment's acknowledgements with
 * `ok: false` and their error (a bundle that would not load, a config the edge rejected).
 * Shown wherever a distribution waits, so "InProgress" never hides a refusal.
 */
import { useLoad } from './ui.js';

export function Refusals(props: { snapshot: number }) {
  const dep = useLoad((c) => c.deployments.get(props.snapshot), [props.snapshot], 3000);
  const refused = Object.entries(dep.data?.acks ?? {}).filter(([, a]) => !a.ok);
  if (refused.length === 0) return null;
  return (
    <div className="alert refusal" role="alert" data-testid="refusal">
      <strong>
        Snapshot v{props.snapshot} was refused by {refused.map(([pop]) => pop).join(', ')}.
      </strong>{' '}
      Those PoPs keep serving their previous snapshot. Fix the cause and deploy again, or roll back.
      <ul>
        {refused.map(([pop, a]) => (
          <li key={pop}>
            <code>{pop}</code>: {a.error ?? 'refused without a reason'}
          </li>
        ))}
      </ul>
    </div>
  );
}

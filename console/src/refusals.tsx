/**
 * @module console/refusals
 * What a PoP said when it refused a distribution's generation (a bundle that failed its hash,
 * a function that would not load there): the distribution's per-PoP state with `Refused` and
 * the PoP's reason. Shown wherever a distribution waits (the overview, the distribution's
 * page), so "InProgress" never hides a refusal. Refusing PoPs keep their last good generation.
 */
import type { Distribution } from './api.js';

export function Refusals(props: { dist: Distribution; compact?: boolean }) {
  const d = props.dist;
  const refused = Object.entries(d.pops ?? {}).filter(([, s]) => s.status === 'Refused');
  if (refused.length === 0) return null;
  const pops = refused.map(([pop]) => pop).join(', ');
  return (
    <div className="alert refusal" role="alert" data-testid="refusal">
      <strong>
        {props.compact ? `g${d.generation} refused by ${pops}.` : `Generation g${d.generation} was refused by ${pops}.`}
      </strong>{' '}
      {!props.compact && (
        <>
          {refused.length === 1 ? 'That PoP keeps' : 'Those PoPs keep'} serving the last generation they accepted; no
          other distribution is held back. Fix the cause and save again, or roll back on the Deploys tab.
        </>
      )}
      <ul>
        {refused.map(([pop, s]) => (
          <li key={pop} className="wrap" data-refused={pop}>
            <code>{pop}</code>: {s.error ?? 'refused without a reason'}
          </li>
        ))}
      </ul>
    </div>
  );
}

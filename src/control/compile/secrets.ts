/**
 * @module control/compile/secrets
 * Secret values inside snapshot documents. A snapshot carries each function's secrets in its
 * `env` (named by `secretNames`) because the edge needs them to run the function, and each origin
 * access control's keys (`originAccessControl.keys`) because the edge signs with them; in the store
 * they stay sealed (`SecretBox`), they are opened only when the document is served to an edge
 * token, and an admin token reading the edge endpoint sees `***`.
 */
import type { DistributionConfig, FunctionConfig } from '../../shared/config/types.js';
import type { Snapshot } from '../../shared/replication/protocol.js';

export const REDACTED = '***';

/** Every function object inside the distributions (mutable references into `ds`). */
export function functionConfigs(ds: DistributionConfig[]): FunctionConfig[] {
  const out: FunctionConfig[] = [];
  for (const d of ds) {
    for (const b of [d.defaultCacheBehavior, ...(d.cacheBehaviors ?? [])]) {
      for (const a of b.functionAssociations ?? []) if (typeof a.function === 'object') out.push(a.function);
    }
  }
  return out;
}

/** A copy of the snapshot with every secret value passed through `f`. */
export function mapSecrets(s: Snapshot, f: (value: string) => string): Snapshot {
  const copy = structuredClone(s);
  for (const fn of functionConfigs(copy.distributions)) {
    for (const name of fn.secretNames ?? []) {
      const v = fn.env?.[name];
      if (fn.env && typeof v === 'string') fn.env[name] = f(v);
    }
  }
  // Origin access control keys (the control plane's credential sets, snapshot.ts addOriginKeys).
  for (const d of copy.distributions) {
    for (const o of d.origins ?? []) {
      const k = o.originAccessControl?.keys;
      if (!k) continue;
      k.secretAccessKey = f(k.secretAccessKey);
      if (k.sessionToken !== undefined) k.sessionToken = f(k.sessionToken);
    }
  }
  return copy;
}

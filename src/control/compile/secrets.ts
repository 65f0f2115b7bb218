/**
 * @module control/compile/secrets
 * Secret values inside snapshot documents. A snapshot carries each function's secrets in its
 * `env` (named by `secretNames`) because the edge needs them to run the function; in the store
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
  return copy;
}

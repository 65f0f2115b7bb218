/**
 * @module shared/config/origin-access
 * Where origin access control keys come from: a named credential set in the environment of the
 * control plane (or of a static edge), never from the distribution config or function code.
 * `credentials: "media"` reads `VERGE_OAC_MEDIA_ACCESS_KEY_ID`, `VERGE_OAC_MEDIA_SECRET_ACCESS_KEY`
 * and, for temporary credentials, `VERGE_OAC_MEDIA_SESSION_TOKEN`.
 */
import type { DistributionConfig, OacKeys } from './types.js';

/** The environment variables of credential set `name`. */
export function oacEnvNames(name: string): { accessKeyId: string; secretAccessKey: string; sessionToken: string } {
  const p = `VERGE_OAC_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
  return {
    accessKeyId: `${p}_ACCESS_KEY_ID`,
    secretAccessKey: `${p}_SECRET_ACCESS_KEY`,
    sessionToken: `${p}_SESSION_TOKEN`,
  };
}

/** Credential set `name` from `env`, or undefined when its key id or secret is missing. */
export function oacKeysFromEnv(name: string, env: Readonly<Record<string, string | undefined>>): OacKeys | undefined {
  const n = oacEnvNames(name);
  const accessKeyId = env[n.accessKeyId];
  const secretAccessKey = env[n.secretAccessKey];
  if (!accessKeyId || !secretAccessKey) return undefined;
  const sessionToken = env[n.sessionToken];
  return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
}

/** What to tell a user whose credential set is missing. */
export function missingOacKeysMessage(name: string, where: string): string {
  const n = oacEnvNames(name);
  return `credential set ${JSON.stringify(name)} has no keys in the environment of ${where}: set ${n.accessKeyId} and ${n.secretAccessKey} (and ${n.sessionToken} for temporary credentials) there`;
}

/** The credential set names the distributions' origins use, sorted. */
export function oacCredentialNames(ds: readonly DistributionConfig[]): string[] {
  const names = new Set<string>();
  for (const d of ds)
    for (const o of d.origins ?? []) if (o.originAccessControl) names.add(o.originAccessControl.credentials);
  return [...names].sort();
}

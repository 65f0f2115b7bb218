/**
 * @module cli/profile
 * Where the CLI finds the control plane: `--url`/`--token` flags first, then `VERGE_URL` /
 * `VERGE_TOKEN`, then the profile file written by `verge login` (`$VERGE_CONFIG`, else
 * `~/.config/verge/profile.json`, mode 0600 because it holds a token).
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { UsageError } from './args.js';

export interface Profile {
  url: string;
  token: string;
}

export const DEFAULT_URL = 'http://127.0.0.1:8080';

export function profilePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.VERGE_CONFIG || join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'verge', 'profile.json');
}

export async function readProfile(path = profilePath()): Promise<Partial<Profile>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw e;
  }
  try {
    const o = JSON.parse(text) as Partial<Profile>;
    return {
      ...(typeof o.url === 'string' ? { url: o.url } : {}),
      ...(typeof o.token === 'string' ? { token: o.token } : {}),
    };
  } catch {
    throw new UsageError(
      `the profile ${path} is not JSON; run \`verge login --url URL --token TOKEN\` to write it again`,
    );
  }
}

/** Writes the profile atomically with mode 0600 (the file holds a bearer token). */
export async function writeProfile(p: Profile, path = profilePath()): Promise<string> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(p, null, 2) + '\n', { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
  return path;
}

export interface Connection {
  url: string;
  token: string | undefined;
  /** Where the URL came from, for messages. */
  source: 'flag' | 'env' | 'profile' | 'default';
}

export async function resolveConnection(
  flags: { url?: string | undefined; token?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): Promise<Connection> {
  const needProfile = !(flags.url ?? env.VERGE_URL) || !(flags.token ?? env.VERGE_TOKEN);
  const prof = needProfile ? await readProfile(profilePath(env)) : {};
  const url = flags.url ?? env.VERGE_URL ?? prof.url;
  const source = flags.url ? 'flag' : env.VERGE_URL ? 'env' : prof.url ? 'profile' : 'default';
  return { url: url || DEFAULT_URL, token: flags.token ?? (env.VERGE_TOKEN || undefined) ?? prof.token, source };
}

/**
 * @module cli/cmd-login
 * `verge login --url URL --token T`: checks that the token works against that control plane,
 * then stores both in the profile (`$VERGE_CONFIG` or `~/.config/verge/profile.json`, mode
 * 0600) for every later command.
 */
import { createClient } from '../client/index.js';
import { print } from '../shared/log.js';
import { UsageError } from './args.js';
import { apiErrors, parseCommand, undiciFetch } from './cmd-common.js';
import { profilePath, writeProfile } from './profile.js';

export const LOGIN_HELP = `verge login --url URL --token T [--no-verify]

Checks the token against the control plane at URL and saves both to the profile
($VERGE_CONFIG, else ~/.config/verge/profile.json, written with mode 0600). Later commands use it
unless --url/--token or VERGE_URL/VERGE_TOKEN say otherwise. With \`verge up\`, the admin token
is in .verge/admin-token.
`;

export async function loginCommand(argv: string[]): Promise<void> {
  const p = parseCommand(argv, { 'no-verify': { type: 'boolean' } }, LOGIN_HELP);
  if (!p) return;
  const { url, token } = p.values;
  if (!url || !token) throw new UsageError('--url and --token are both required');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url must be a URL like http://127.0.0.1:8080, got "${url}"`);
  }
  const base = parsed.origin + parsed.pathname.replace(/\/+$/, '');
  if (!p.values['no-verify']) {
    const client = createClient({ url: base, token, fetch: undiciFetch });
    await apiErrors(() => client.pops.list());
  }
  const path = await writeProfile({ url: base, token }, profilePath());
  print(`logged in to ${base}; saved to ${path}`);
}

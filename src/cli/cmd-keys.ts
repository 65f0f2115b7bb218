/**
 * @module cli/cmd-keys
 * `verge public-keys create|list|get|delete` and `verge key-groups create|update|list|get|delete`:
 * the keys signed URLs and signed cookies are verified with (CloudFront's public keys and key
 * groups). A key group takes effect when a cache behavior names its id in `trustedKeyGroups`
 * (`verge distributions update` or `verge apply`).
 */
import { readFile } from 'node:fs/promises';
import { UsageError } from './args.js';
import { CONNECTION_HELP, connect, dispatch, onePositional, parseCommand } from './cmd-common.js';
import { emit, table } from './output.js';

export const PUBLIC_KEYS_HELP = `verge public-keys <verb>

  create --name N --file public_key.pem [--comment C]
                        upload an RSA 2048-bit public key (openssl rsa -pubout); prints its id,
                        the Key-Pair-Id signers put in signed URLs and cookies
  list                  public keys: id, name, created
  get ID                one key with its PEM
  delete ID             delete a key no key group holds

${CONNECTION_HELP}
`;

export const KEY_GROUPS_HELP = `verge key-groups <verb>

  create --name N --key ID [--key ID ...] [--comment C]
                        a key group of 1-5 public keys; prints its id for a behavior's
                        "trustedKeyGroups": ["<id>"]
  update ID --name N --key ID [--key ID ...] [--comment C]
                        replace the group's keys (rotation); PoPs get it with the next snapshot
  list                  key groups: id, name, keys
  get ID                one key group
  delete ID             delete a key group no cache behavior trusts

${CONNECTION_HELP}
`;

async function createKey(argv: string[]): Promise<void> {
  const p = parseCommand(
    argv,
    { name: { type: 'string' }, file: { type: 'string' }, comment: { type: 'string' } },
    PUBLIC_KEYS_HELP,
  );
  if (!p) return;
  const { name, file, comment } = p.values as { name?: string; file?: string; comment?: string };
  if (!name || !file) throw new UsageError('give --name and --file (a PEM public key)');
  const encodedKey = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read ${file}: ${e.code ?? e.message}`);
  });
  const ctx = await connect(p.values);
  const k = await ctx.client.publicKeys.create({ name, encodedKey, ...(comment ? { comment } : {}) });
  emit(ctx.format, k, () => `created public key ${k.name}: ${k.id} (use it as Key-Pair-Id)`);
}

async function listKeys(argv: string[]): Promise<void> {
  const p = parseCommand(argv, {}, PUBLIC_KEYS_HELP);
  if (!p) return;
  const ctx = await connect(p.values);
  const keys = await ctx.client.publicKeys.list();
  emit(ctx.format, keys, () =>
    keys.length === 0
      ? 'no public keys yet (verge public-keys create --name N --file public_key.pem)'
      : table(
          ['ID', 'NAME', 'CREATED', 'COMMENT'],
          keys.map((k) => [k.id, k.name, k.createdTime, k.comment]),
        ),
  );
}

async function getKey(argv: string[]): Promise<void> {
  const p = parseCommand(argv, {}, PUBLIC_KEYS_HELP);
  if (!p) return;
  const ctx = await connect(p.values);
  const k = await ctx.client.publicKeys.get(onePositional(p.positionals, 'public key ID'));
  emit(
    ctx.format,
    k,
    () => `${k.id}  ${k.name}  ${k.createdTime}${k.comment ? `  ${k.comment}` : ''}\n${k.encodedKey}`,
  );
}

async function deleteKey(argv: string[]): Promise<void> {
  const p = parseCommand(argv, {}, PUBLIC_KEYS_HELP);
  if (!p) return;
  const id = onePositional(p.positionals, 'public key ID');
  const ctx = await connect(p.values);
  await ctx.client.publicKeys.delete(id);
  emit(ctx.format, { deleted: id }, () => `deleted public key ${id}`);
}

const GROUP_OPTIONS = {
  name: { type: 'string' },
  key: { type: 'string', multiple: true },
  comment: { type: 'string' },
} as const;

function groupInput(values: { name?: string; key?: string[]; comment?: string }) {
  if (!values.name || !values.key?.length) throw new UsageError('give --name and at least one --key PUBLIC_KEY_ID');
  return { name: values.name, publicKeyIds: values.key, ...(values.comment ? { comment: values.comment } : {}) };
}

async function createGroup(argv: string[]): Promise<void> {
  const p = parseCommand(argv, GROUP_OPTIONS, KEY_GROUPS_HELP);
  if (!p) return;
  const input = groupInput(p.values as { name?: string; key?: string[]; comment?: string });
  const ctx = await connect(p.values);
  const g = await ctx.client.keyGroups.create(input);
  emit(ctx.format, g, () => `created key group ${g.name}: ${g.id} (name it in a behavior's "trustedKeyGroups")`);
}

async function updateGroup(argv: string[]): Promise<void> {
  const p = parseCommand(argv, GROUP_OPTIONS, KEY_GROUPS_HELP);
  if (!p) return;
  const id = onePositional(p.positionals, 'key group ID');
  const input = groupInput(p.values as { name?: string; key?: string[]; comment?: string });
  const ctx = await connect(p.values);
  const g = await ctx.client.keyGroups.update(id, input);
  emit(ctx.format, g, () => `updated key group ${g.name} (${g.id}): ${g.publicKeyIds.join(', ')}`);
}

async function listGroups(argv: string[]): Promise<void> {
  const p = parseCommand(argv, {}, KEY_GROUPS_HELP);
  if (!p) return;
  const ctx = await connect(p.values);
  const groups = await ctx.client.keyGroups.list();
  emit(ctx.format, groups, () =>
    groups.length === 0
      ? 'no key groups yet (verge key-groups create --name N --key PUBLIC_KEY_ID)'
      : table(
          ['ID', 'NAME', 'PUBLIC KEYS', 'MODIFIED'],
          groups.map((g) => [g.id, g.name, g.publicKeyIds.join(','), g.lastModifiedTime]),
        ),
  );
}

async function getGroup(argv: string[]): Promise<void> {
  const p = parseCommand(argv, {}, KEY_GROUPS_HELP);
  if (!p) return;
  const ctx = await connect(p.values);
  const g = await ctx.client.keyGroups.get(onePositional(p.positionals, 'key group ID'));
  emit(
    ctx.format,
    g,
    () => `${g.id}  ${g.name}  keys: ${g.publicKeyIds.join(', ')}${g.comment ? `  ${g.comment}` : ''}`,
  );
}

async function deleteGroup(argv: string[]): Promise<void> {
  const p = parseCommand(argv, {}, KEY_GROUPS_HELP);
  if (!p) return;
  const id = onePositional(p.positionals, 'key group ID');
  const ctx = await connect(p.values);
  await ctx.client.keyGroups.delete(id);
  emit(ctx.format, { deleted: id }, () => `deleted key group ${id}`);
}

export async function publicKeysCommand(argv: string[]): Promise<void> {
  return dispatch(argv, PUBLIC_KEYS_HELP, { create: createKey, list: listKeys, get: getKey, delete: deleteKey });
}

export async function keyGroupsCommand(argv: string[]): Promise<void> {
  return dispatch(argv, KEY_GROUPS_HELP, {
    create: createGroup,
    update: updateGroup,
    list: listGroups,
    get: getGroup,
    delete: deleteGroup,
  });
}

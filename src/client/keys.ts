/**
 * @module client/keys
 * Public keys and key groups for signed URLs and cookies (docs/api.md): upload and delete
 * public keys, and manage the key groups cache behaviors trust. `keyGroups.update` replaces a
 * group (key rotation) and takes `{ ifMatch }`.
 */
import type { Transport } from './http.js';
import { seg } from './http.js';
import type { WithEtag, WriteOptions } from './resources.js';
import type { Items, KeyGroup, KeyGroupInput, PublicKey } from './types.js';

export function publicKeysApi(t: Transport) {
  const base = (id: string) => `/public-keys/${seg(id)}`;
  return {
    async create(input: { name: string; encodedKey: string; comment?: string }): Promise<PublicKey> {
      return (await t.request<PublicKey>('POST', '/public-keys', { body: input })).value;
    },
    async list(): Promise<PublicKey[]> {
      return (await t.request<Items<PublicKey>>('GET', '/public-keys')).value.items;
    },
    async get(id: string): Promise<PublicKey> {
      return (await t.request<PublicKey>('GET', base(id))).value;
    },
    async delete(id: string): Promise<void> {
      await t.request('DELETE', base(id));
    },
  };
}

export function keyGroupsApi(t: Transport) {
  const base = (id: string) => `/key-groups/${seg(id)}`;
  return {
    async create(input: KeyGroupInput): Promise<KeyGroup> {
      return (await t.request<KeyGroup>('POST', '/key-groups', { body: input })).value;
    },
    async list(): Promise<KeyGroup[]> {
      return (await t.request<Items<KeyGroup>>('GET', '/key-groups')).value.items;
    },
    async get(id: string): Promise<KeyGroup> {
      return (await t.request<KeyGroup>('GET', base(id))).value;
    },
    async getWithEtag(id: string): Promise<WithEtag<KeyGroup>> {
      const a = await t.request<KeyGroup>('GET', base(id));
      return { value: a.value, etag: a.etag };
    },
    async update(id: string, input: KeyGroupInput, o: WriteOptions = {}): Promise<KeyGroup> {
      return (await t.request<KeyGroup>('PUT', base(id), { body: input, ...o })).value;
    },
    async delete(id: string, o: WriteOptions = {}): Promise<void> {
      await t.request('DELETE', base(id), o);
    },
  };
}

/**
 * @module control/api/routes/key-groups
 * `/public-keys` and `/key-groups`: the keys signed URLs and signed cookies are verified with
 * (CloudFront's PublicKey and KeyGroup). Creating either changes nothing edges see; a key group
 * reaches PoPs when a behavior trusts it (`trustedKeyGroups` in the distribution config), and a
 * change to such a group is a new snapshot. Nothing in use can be deleted (KEY_IN_USE).
 */
import { VergeError } from '../../../shared/errors.js';
import { KeyGroupBodySchema, PublicKeyCreateSchema } from '../../../shared/api/bodies.js';
import { KeyGroupSchema, PublicKeySchema, itemsOf } from '../../../shared/api/answers.js';
import type { App } from '../../app.js';
import {
  checkGroupKeys,
  checkKeyGroupUnused,
  checkPublicKeyUnused,
  getKeyGroup,
  getPublicKey,
  keyGroupView,
  newKeyGroupId,
  newPublicKey,
  publicKeyView,
} from '../../domain/key-groups.js';
import type { KeyGroupRecord } from '../../store/types.js';
import { checkIfMatch } from '../http.js';
import { route, type Route } from '../route.js';

export function keyGroupRoutes(app: App): Route[] {
  const { store, clock } = app;
  const nameFree = async (name: string, self?: string) => {
    const other = await store.keyGroups.byName(name);
    if (other && other.id !== self)
      throw new VergeError('ALREADY_EXISTS', `a key group named ${name} exists (${other.id})`);
  };
  return [
    route({
      method: 'POST',
      path: '/public-keys',
      access: 'admin',
      summary: 'Upload a public key (RSA 2048-bit, PEM) for signed URLs and cookies',
      body: PublicKeyCreateSchema,
      success: { status: 201, schema: PublicKeySchema },
      handler: async ({ body }) => {
        const k = await newPublicKey(store, body, clock.now());
        await store.publicKeys.insert(k);
        return { status: 201, body: publicKeyView(k) };
      },
    }),
    {
      method: 'GET',
      path: '/public-keys',
      access: 'admin',
      summary: 'List public keys',
      success: { status: 200, schema: itemsOf(PublicKeySchema) },
      handler: async () => ({ status: 200, body: { items: (await store.publicKeys.list()).map(publicKeyView) } }),
    },
    {
      method: 'GET',
      path: '/public-keys/{id}',
      access: 'admin',
      summary: 'Get a public key',
      success: { status: 200, schema: PublicKeySchema },
      handler: async ({ params }) => ({ status: 200, body: publicKeyView(await getPublicKey(store, params.id!)) }),
    },
    {
      method: 'DELETE',
      path: '/public-keys/{id}',
      access: 'admin',
      summary: 'Delete a public key that no key group holds',
      success: { status: 204 },
      handler: async ({ params }) => {
        const k = await getPublicKey(store, params.id!);
        await store.tx(async () => {
          await checkPublicKeyUnused(store, k.id);
          await store.publicKeys.delete(k.id);
        });
        return { status: 204 };
      },
    },
    route({
      method: 'POST',
      path: '/key-groups',
      access: 'admin',
      summary: 'Create a key group of public keys',
      body: KeyGroupBodySchema,
      success: { status: 201, schema: KeyGroupSchema },
      handler: async ({ body }) => {
        const b = body;
        const now = clock.now();
        const g: KeyGroupRecord = {
          id: newKeyGroupId(),
          name: b.name,
          comment: b.comment ?? '',
          publicKeyIds: b.publicKeyIds,
          revision: 1,
          createdAt: now,
          updatedAt: now,
        };
        await store.tx(async () => {
          await nameFree(g.name);
          await checkGroupKeys(store, g.publicKeyIds);
          await store.keyGroups.insert(g);
        });
        return { status: 201, body: keyGroupView(g), etag: g.revision };
      },
    }),
    {
      method: 'GET',
      path: '/key-groups',
      access: 'admin',
      summary: 'List key groups',
      success: { status: 200, schema: itemsOf(KeyGroupSchema) },
      handler: async () => ({ status: 200, body: { items: (await store.keyGroups.list()).map(keyGroupView) } }),
    },
    {
      method: 'GET',
      path: '/key-groups/{id}',
      access: 'admin',
      summary: 'Get a key group',
      success: { status: 200, schema: KeyGroupSchema },
      handler: async ({ params }) => {
        const g = await getKeyGroup(store, params.id!);
        return { status: 200, body: keyGroupView(g), etag: g.revision };
      },
    },
    route({
      method: 'PUT',
      path: '/key-groups/{id}',
      access: 'admin',
      summary: 'Replace a key group (rotate its keys); PoPs get the change with the next snapshot',
      body: KeyGroupBodySchema,
      success: { status: 200, schema: KeyGroupSchema },
      handler: async ({ params, body, ifMatch }) => {
        const prev = await getKeyGroup(store, params.id!);
        checkIfMatch(ifMatch, prev.revision, `key group ${prev.id}`);
        const b = body;
        const next: KeyGroupRecord = {
          ...prev,
          name: b.name,
          comment: b.comment ?? '',
          publicKeyIds: b.publicKeyIds,
          revision: prev.revision + 1,
          updatedAt: clock.now(),
        };
        await app.change(`key group ${prev.name} (${prev.id}) updated`, async () => {
          await nameFree(next.name, next.id);
          await checkGroupKeys(store, next.publicKeyIds);
          await store.keyGroups.update(next);
        });
        return { status: 200, body: keyGroupView(next), etag: next.revision };
      },
    }),
    {
      method: 'DELETE',
      path: '/key-groups/{id}',
      access: 'admin',
      summary: 'Delete a key group that no cache behavior trusts',
      success: { status: 204 },
      handler: async ({ params, ifMatch }) => {
        const g = await getKeyGroup(store, params.id!);
        checkIfMatch(ifMatch, g.revision, `key group ${g.id}`);
        await store.tx(async () => {
          await checkKeyGroupUnused(store, g.id);
          await store.keyGroups.delete(g.id);
        });
        return { status: 204 };
      },
    },
  ];
}

/**
 * @module control/api/routes/kvs
 * `/kvs`: KeyValueStores for CloudFront Functions (spec 4.2 limits: keys up to 512 characters,
 * values up to 1,024, 5 MB per store). A change to a store an attached function uses produces a
 * snapshot; other stores change nothing edges see.
 */
import { VergeError } from '../../../shared/errors.js';
import type { ConfigProblem } from '../../../shared/config/types.js';
import { KvsCreateSchema, KvsValueSchema } from '../../../shared/api/bodies.js';
import { KeyValueStoreSchema, itemsOf } from '../../../shared/api/answers.js';
import type { App } from '../../app.js';
import type { KvsRecord } from '../../store/types.js';
import { checkIfMatch } from '../http.js';
import { route, type Route } from '../route.js';
import { validationError } from '../../domain/validation.js';

const MAX_KEY = 512;
const MAX_VALUE = 1024;
const MAX_BYTES = 5 * 1024 * 1024;

function view(k: KvsRecord, withData = false) {
  return {
    name: k.name,
    keyCount: Object.keys(k.data).length,
    updatedAt: new Date(k.updatedAt).toISOString(),
    ...(withData ? { data: k.data } : {}),
    etag: `"r${k.revision}"`,
  };
}

function checkData(data: Record<string, string>, path: string): void {
  const problems: ConfigProblem[] = [];
  let bytes = 0;
  for (const [key, value] of Object.entries(data)) {
    if (key.length === 0 || key.length > MAX_KEY)
      problems.push({
        path: `${path}[${JSON.stringify(key.slice(0, 40))}]`,
        message: `keys are 1–${MAX_KEY} characters`,
      });
    if (value.length > MAX_VALUE)
      problems.push({
        path: `${path}[${JSON.stringify(key.slice(0, 40))}]`,
        message: `values are at most ${MAX_VALUE} characters`,
      });
    bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (bytes > MAX_BYTES)
    problems.push({ path, message: `a KeyValueStore holds at most ${MAX_BYTES} bytes (this would be ${bytes})` });
  if (problems.length > 0) throw validationError(problems);
}

export function kvsRoutes(app: App): Route[] {
  const { store, clock } = app;
  const get = async (name: string) => {
    const k = await store.kvs.get(name);
    if (!k) throw new VergeError('NOT_FOUND', `KeyValueStore ${name} does not exist`);
    return k;
  };
  const write = async (
    k: KvsRecord,
    ifMatch: string | undefined,
    data: Record<string, string>,
    why: string,
  ): Promise<KvsRecord> => {
    checkIfMatch(ifMatch, k.revision, `KeyValueStore ${k.name}`);
    checkData(data, '$.data');
    const next = { ...k, data, revision: k.revision + 1, updatedAt: clock.now() };
    await app.change(`KeyValueStore ${k.name}: ${why}`, async () => await store.kvs.update(next));
    return next;
  };
  return [
    route({
      method: 'POST',
      path: '/kvs',
      access: 'admin',
      summary: 'Create a KeyValueStore',
      body: KvsCreateSchema,
      success: { status: 201, schema: KeyValueStoreSchema },
      handler: async ({ body }) => {
        const b = body;
        if (await store.kvs.get(b.name))
          throw new VergeError('ALREADY_EXISTS', `KeyValueStore ${b.name} already exists`);
        checkData(b.data ?? {}, '$.data');
        const now = clock.now();
        const k: KvsRecord = { name: b.name, data: b.data ?? {}, revision: 1, createdAt: now, updatedAt: now };
        await store.kvs.insert(k);
        return { status: 201, body: view(k), etag: k.revision };
      },
    }),
    {
      method: 'GET',
      path: '/kvs',
      access: 'admin',
      summary: 'List KeyValueStores',
      success: { status: 200, schema: itemsOf(KeyValueStoreSchema) },
      handler: async () => ({ status: 200, body: { items: (await store.kvs.list()).map((k) => view(k)) } }),
    },
    {
      method: 'GET',
      path: '/kvs/{name}',
      access: 'admin',
      summary: 'Get a KeyValueStore with its data',
      success: { status: 200, schema: KeyValueStoreSchema },
      handler: async ({ params }) => {
        const k = await get(params.name!);
        return { status: 200, body: view(k, true), etag: k.revision };
      },
    },
    route({
      method: 'PUT',
      path: '/kvs/{name}/keys/{key}',
      access: 'admin',
      summary: 'Set one key',
      body: KvsValueSchema,
      success: { status: 200, schema: KeyValueStoreSchema },
      handler: async ({ params, body, ifMatch }) => {
        const k = await get(params.name!);
        const next = await write(k, ifMatch, { ...k.data, [params.key!]: body.value }, `key ${params.key} set`);
        return { status: 200, body: view(next), etag: next.revision };
      },
    }),
    {
      method: 'DELETE',
      path: '/kvs/{name}/keys/{key}',
      access: 'admin',
      summary: 'Delete one key',
      success: { status: 204 },
      handler: async ({ params, ifMatch }) => {
        const k = await get(params.name!);
        if (!(params.key! in k.data))
          throw new VergeError('NOT_FOUND', `KeyValueStore ${k.name} has no key ${params.key}`);
        const data = { ...k.data };
        delete data[params.key!];
        await write(k, ifMatch, data, `key ${params.key} deleted`);
        return { status: 204 };
      },
    },
    {
      method: 'DELETE',
      path: '/kvs/{name}',
      access: 'admin',
      summary: 'Delete a KeyValueStore (refused while a function uses it)',
      success: { status: 204 },
      handler: async ({ params, ifMatch }) => {
        const k = await get(params.name!);
        checkIfMatch(ifMatch, k.revision, `KeyValueStore ${k.name}`);
        const users = (await store.functions.list()).filter((f) => f.kvs === k.name);
        if (users.length > 0) {
          throw validationError(
            users.map((f) => ({
              path: '$.name',
              message: `function ${f.name} uses KeyValueStore ${k.name}: PATCH it with kvs: null first`,
            })),
          );
        }
        await app.change(`KeyValueStore ${k.name} deleted`, async () => await store.kvs.delete(k.name));
        return { status: 204 };
      },
    },
  ];
}

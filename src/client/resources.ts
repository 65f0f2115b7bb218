/**
 * @module client/resources
 * The configuration resources of docs/api.md, one small API object each: functions,
 * distributions, triggers, invalidations and key-value stores. Every mutable resource's
 * `update`/`delete` takes `{ ifMatch }` (412 when stale); `getWithEtag` returns the value with
 * its ETag for a later `ifMatch`.
 */
import type { Transport } from './http.js';
import { seg } from './http.js';
import type {
  CodeInput,
  CreateFunctionInput,
  CreateTriggerInput,
  Distribution,
  DistributionConfig,
  DistributionGeneration,
  StagingRouting,
  StagingView,
  FunctionCode,
  FunctionResource,
  FunctionTestInput,
  FunctionTestResult,
  FunctionVersion,
  Invalidation,
  Items,
  KeyValueStore,
  Trigger,
  UpdateFunctionInput,
} from './types.js';

export interface WriteOptions {
  ifMatch?: string;
  signal?: AbortSignal;
}

export interface WithEtag<T> {
  value: T;
  etag: string | undefined;
}

export function functionsApi(t: Transport) {
  const base = (name: string) => `/functions/${seg(name)}`;
  return {
    async create(input: CreateFunctionInput): Promise<FunctionResource> {
      return (await t.request<FunctionResource>('POST', '/functions', { body: input })).value;
    },
    async list(): Promise<FunctionResource[]> {
      return (await t.request<Items<FunctionResource>>('GET', '/functions')).value.items;
    },
    async get(name: string): Promise<FunctionResource> {
      return (await t.request<FunctionResource>('GET', base(name))).value;
    },
    async getWithEtag(name: string): Promise<WithEtag<FunctionResource>> {
      const a = await t.request<FunctionResource>('GET', base(name));
      return { value: a.value, etag: a.etag };
    },
    async update(name: string, patch: UpdateFunctionInput, o: WriteOptions = {}): Promise<FunctionResource> {
      return (await t.request<FunctionResource>('PATCH', base(name), { body: patch, ...o })).value;
    },
    async updateCode(name: string, code: CodeInput, o: WriteOptions = {}): Promise<FunctionResource> {
      return (await t.request<FunctionResource>('PUT', `${base(name)}/code`, { body: { code }, ...o })).value;
    },
    async publish(name: string, description?: string): Promise<FunctionVersion> {
      const body = description === undefined ? {} : { description };
      return (await t.request<FunctionVersion>('POST', `${base(name)}/publish`, { body })).value;
    },
    async versions(name: string): Promise<FunctionVersion[]> {
      return (await t.request<Items<FunctionVersion>>('GET', `${base(name)}/versions`)).value.items;
    },
    /** The package of `$LATEST` (no version) or of a numbered version. */
    async code(name: string, version?: number | string): Promise<FunctionCode> {
      return (await t.request<FunctionCode>('GET', `${base(name)}/code`, { query: { version } })).value;
    },
    async delete(name: string, o: WriteOptions = {}): Promise<void> {
      await t.request('DELETE', base(name), o);
    },
    async test(name: string, input: FunctionTestInput): Promise<FunctionTestResult> {
      return (await t.request<FunctionTestResult>('POST', `${base(name)}/test`, { body: input })).value;
    },
  };
}

export function distributionsApi(t: Transport) {
  const base = (id: string) => `/distributions/${seg(id)}`;
  return {
    async create(config: DistributionConfig): Promise<Distribution> {
      return (await t.request<Distribution>('POST', '/distributions', { body: config })).value;
    },
    async list(): Promise<Distribution[]> {
      return (await t.request<Items<Distribution>>('GET', '/distributions')).value.items;
    },
    async get(id: string): Promise<Distribution> {
      return (await t.request<Distribution>('GET', base(id))).value;
    },
    async getWithEtag(id: string): Promise<WithEtag<Distribution>> {
      const a = await t.request<Distribution>('GET', base(id));
      return { value: a.value, etag: a.etag };
    },
    async update(id: string, config: DistributionConfig, o: WriteOptions = {}): Promise<Distribution> {
      return (await t.request<Distribution>('PUT', base(id), { body: config, ...o })).value;
    },
    async delete(id: string, o: WriteOptions = {}): Promise<void> {
      await t.request('DELETE', base(id), o);
    },
    /** The snapshots that changed this distribution (its generations), newest first. */
    async history(id: string): Promise<DistributionGeneration[]> {
      return (await t.request<Items<DistributionGeneration>>('GET', `${base(id)}/history`)).value.items;
    },
    /** Staging (CloudFront continuous deployment): create, show, route, promote, discard. */
    staging: {
      async create(id: string): Promise<StagingView> {
        return (await t.request<StagingView>('POST', `${base(id)}/staging`)).value;
      },
      async get(id: string): Promise<StagingView> {
        return (await t.request<StagingView>('GET', `${base(id)}/staging`)).value;
      },
      async route(id: string, routing: StagingRouting): Promise<StagingView> {
        return (await t.request<StagingView>('PUT', `${base(id)}/staging/routing`, { body: routing })).value;
      },
      async promote(id: string): Promise<StagingView> {
        return (await t.request<StagingView>('POST', `${base(id)}/staging/promote`)).value;
      },
      async discard(id: string): Promise<void> {
        await t.request('DELETE', `${base(id)}/staging`);
      },
    },
    /** Roll this distribution alone back to what snapshot `to` served. */
    async rollback(
      id: string,
      to: number,
    ): Promise<Distribution & { rolledBackTo: number; newSnapshot: number | null }> {
      return (
        await t.request<Distribution & { rolledBackTo: number; newSnapshot: number | null }>(
          'POST',
          `${base(id)}/rollback`,
          { body: { to } },
        )
      ).value;
    },
  };
}

export function triggersApi(t: Transport) {
  return {
    /** Replaces the trigger for the same distribution + behavior + event type. */
    async create(input: CreateTriggerInput): Promise<Trigger> {
      return (await t.request<Trigger>('POST', '/triggers', { body: input })).value;
    },
    /** Promote the trigger's running canary now (its version for every viewer). */
    async promoteCanary(id: string): Promise<Trigger> {
      return (await t.request<Trigger>('POST', `/triggers/${seg(id)}/canary/promote`)).value;
    },
    /** Roll the trigger's running canary back now (the previous version for every viewer). */
    async rollbackCanary(id: string): Promise<Trigger> {
      return (await t.request<Trigger>('POST', `/triggers/${seg(id)}/canary/rollback`)).value;
    },
    async list(distributionId?: string): Promise<Trigger[]> {
      return (await t.request<Items<Trigger>>('GET', '/triggers', { query: { distributionId } })).value.items;
    },
    async delete(id: string, o: WriteOptions = {}): Promise<void> {
      await t.request('DELETE', `/triggers/${seg(id)}`, o);
    },
  };
}

export function invalidationsApi(t: Transport) {
  return {
    async create(input: { distributionId: string; paths?: string[]; tags?: string[] }): Promise<Invalidation> {
      return (await t.request<Invalidation>('POST', '/invalidations', { body: input })).value;
    },
    async get(id: string): Promise<Invalidation> {
      return (await t.request<Invalidation>('GET', `/invalidations/${seg(id)}`)).value;
    },
    async list(distributionId?: string): Promise<Invalidation[]> {
      return (await t.request<Items<Invalidation>>('GET', '/invalidations', { query: { distributionId } })).value.items;
    },
  };
}

export function kvsApi(t: Transport) {
  const base = (name: string) => `/kvs/${seg(name)}`;
  return {
    async create(name: string, data?: Record<string, string>): Promise<KeyValueStore> {
      return (await t.request<KeyValueStore>('POST', '/kvs', { body: data ? { name, data } : { name } })).value;
    },
    async list(): Promise<KeyValueStore[]> {
      return (await t.request<Items<KeyValueStore>>('GET', '/kvs')).value.items;
    },
    async get(name: string): Promise<KeyValueStore> {
      return (await t.request<KeyValueStore>('GET', base(name))).value;
    },
    async put(name: string, key: string, value: string, o: WriteOptions = {}): Promise<KeyValueStore> {
      return (await t.request<KeyValueStore>('PUT', `${base(name)}/keys/${seg(key)}`, { body: { value }, ...o })).value;
    },
    async deleteKey(name: string, key: string, o: WriteOptions = {}): Promise<void> {
      await t.request('DELETE', `${base(name)}/keys/${seg(key)}`, o);
    },
    async delete(name: string, o: WriteOptions = {}): Promise<void> {
      await t.request('DELETE', base(name), o);
    },
  };
}

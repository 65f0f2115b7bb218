/**
 * @module client/client
 * `createClient`: the typed client for the control plane's REST API (docs/api.md), grouped by
 * resource. Used by the `verge` CLI and the web console; it needs only a `fetch`.
 */
import { createTransport, type TransportOptions, type Transport } from './http.js';
import { distributionsApi, functionsApi, invalidationsApi, kvsApi, triggersApi } from './resources.js';
import { keyGroupsApi, publicKeysApi } from './keys.js';
import { deploymentsApi, logsApi, metricsApi, popsApi, systemApi, tokensApi } from './operations.js';

export interface VergeClient {
  readonly transport: Transport;
  readonly functions: ReturnType<typeof functionsApi>;
  readonly distributions: ReturnType<typeof distributionsApi>;
  readonly triggers: ReturnType<typeof triggersApi>;
  readonly invalidations: ReturnType<typeof invalidationsApi>;
  readonly kvs: ReturnType<typeof kvsApi>;
  readonly publicKeys: ReturnType<typeof publicKeysApi>;
  readonly keyGroups: ReturnType<typeof keyGroupsApi>;
  readonly deployments: ReturnType<typeof deploymentsApi>;
  readonly pops: ReturnType<typeof popsApi>;
  readonly tokens: ReturnType<typeof tokensApi>;
  readonly logs: ReturnType<typeof logsApi>;
  readonly metrics: ReturnType<typeof metricsApi>;
  readonly system: ReturnType<typeof systemApi>;
}

/**
 * @example
 * const client = createClient({ url: 'http://127.0.0.1:8080', token });
 * await client.functions.create({ name: 'auth', runtime: 'nodejs', code: { source, filename: 'index.mjs' } });
 * const v = await client.functions.publish('auth');
 */
export function createClient(opts: TransportOptions): VergeClient {
  const t = createTransport(opts);
  return {
    transport: t,
    functions: functionsApi(t),
    distributions: distributionsApi(t),
    triggers: triggersApi(t),
    invalidations: invalidationsApi(t),
    kvs: kvsApi(t),
    publicKeys: publicKeysApi(t),
    keyGroups: keyGroupsApi(t),
    deployments: deploymentsApi(t),
    pops: popsApi(t),
    tokens: tokensApi(t),
    logs: logsApi(t),
    metrics: metricsApi(t),
    system: systemApi(t),
  };
}

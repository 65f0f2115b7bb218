/**
 * @module control/api/routes/functions
 * `/functions`: create with code as `$LATEST`, update settings and code, publish immutable
 * numbered versions, read the package back, test-run an event, and delete (refused with
 * FUNCTION_IN_USE while a version is attached).
 */
import { isActive } from '../../domain/canary.js';
import { VergeError } from '../../../shared/errors.js';
import {
  FunctionCodeSchema,
  FunctionCreateSchema,
  FunctionPatchSchema,
  FunctionTestSchema,
  PublishSchema,
} from '../../../shared/api/bodies.js';
import {
  FunctionCodeAnswerSchema,
  FunctionSchema,
  FunctionTestResultSchema,
  VersionSchema,
  itemsOf,
} from '../../../shared/api/answers.js';
import type { App } from '../../app.js';
import { buildPackage, defaultHandler, describeZip, type Package } from '../../domain/code.js';
import { bundleOf, collectBundles } from '../../domain/bundles.js';
import { eventFor, runTest, type TestTarget } from '../../domain/function-test.js';
import {
  applySettings,
  emptySettings,
  functionView,
  functionWithVersions,
  getFunction,
  publish,
  versionView,
} from '../../domain/functions.js';
import type { FunctionRecord, FunctionSettings } from '../../store/types.js';
import { runtimeFor } from '../../../shared/config/functions.js';
import { checkIfMatch } from '../http.js';
import { route, type Route } from '../route.js';
import { validationError } from '../../domain/validation.js';

function versionParam(v: string | null | undefined, path: string): number | undefined {
  if (v === null || v === undefined || v === '$LATEST') return undefined;
  if (!/^\d+$/.test(v)) throw validationError([{ path, message: 'must be a version number or $LATEST' }]);
  return Number(v);
}

/** What the gate loads for code not yet stored: the package as `$LATEST` with these settings. */
function latestTarget(name: string, pkg: Package, settings: FunctionSettings): TestTarget {
  return { name, version: '$LATEST', sha256: pkg.sha256, zip: pkg.zip, settings };
}

export function functionRoutes(app: App): Route[] {
  const { store, clock, box } = app;
  /** The gate awaits a load: refuse to write over a change that landed meanwhile. */
  const unchangedSince = async (f: FunctionRecord) => {
    const now = await store.functions.get(f.name);
    if (now?.revision !== f.revision)
      throw new VergeError(
        'PRECONDITION_FAILED',
        `function ${f.name} changed while its code was being checked: read it again and retry`,
        { details: { current: now ? `"r${now.revision}"` : null } },
      );
  };
  return [
    route({
      method: 'POST',
      path: '/functions',
      access: 'admin',
      summary: 'Create a function with its code as $LATEST',
      body: FunctionCreateSchema,
      success: { status: 201, schema: FunctionSchema },
      handler: async ({ body }) => {
        const asked = body;
        const b = { ...asked, runtime: runtimeFor(asked.runtime)!.runtime };
        const exists = async () => {
          if (await store.functions.get(b.name))
            throw new VergeError('ALREADY_EXISTS', `function ${b.name} already exists`);
        };
        await exists();
        const handler = b.handler ?? defaultHandler(b.code, b.runtime);
        const settings = await applySettings(store, box, emptySettings(b.runtime, handler), b);
        const pkg = buildPackage(b.code, b.runtime, settings.handler);
        await app.gate.check(latestTarget(b.name, pkg, settings), 'create');
        const now = clock.now();
        const f: FunctionRecord = {
          name: b.name,
          ...settings,
          codeSha256: pkg.sha256,
          codeSize: pkg.size,
          revision: 1,
          createdAt: now,
          updatedAt: now,
        };
        await store.tx(async () => {
          await exists();
          await store.blobs.put(pkg.sha256, 'bundle', pkg.zip);
          await store.functions.insert(f);
        });
        return { status: 201, body: functionWithVersions(f, []), etag: f.revision };
      },
    }),
    {
      method: 'GET',
      path: '/functions',
      access: 'admin',
      summary: 'List functions, each with its version count and latest version',
      success: { status: 200, schema: itemsOf(FunctionSchema) },
      handler: async () => {
        const summaries = await store.functions.versionSummaries();
        const none = { count: 0, latest: null };
        const items = (await store.functions.list()).map((f) => functionView(f, summaries.get(f.name) ?? none));
        return { status: 200, body: { items } };
      },
    },
    {
      method: 'GET',
      path: '/functions/{name}',
      access: 'admin',
      summary: 'Get a function with its versions',
      success: { status: 200, schema: FunctionSchema },
      handler: async ({ params }) => {
        const f = await getFunction(store, params.name!);
        return { status: 200, body: functionWithVersions(f, await store.functions.versions(f.name)), etag: f.revision };
      },
    },
    route({
      method: 'PATCH',
      path: '/functions/{name}',
      access: 'admin',
      summary: 'Change settings, env vars or secrets of $LATEST (`secrets: {K: null}` deletes)',
      body: FunctionPatchSchema,
      success: { status: 200, schema: FunctionSchema },
      handler: async ({ params, body, ifMatch }) => {
        const f = await getFunction(store, params.name!);
        checkIfMatch(ifMatch, f.revision, `function ${f.name}`);
        const settings = await applySettings(store, box, f, body);
        const next: FunctionRecord = { ...f, ...settings, revision: f.revision + 1, updatedAt: clock.now() };
        await store.functions.update(next);
        return {
          status: 200,
          body: functionWithVersions(next, await store.functions.versions(f.name)),
          etag: next.revision,
        };
      },
    }),
    route({
      method: 'PUT',
      path: '/functions/{name}/code',
      access: 'admin',
      summary: 'Replace the code of $LATEST',
      body: FunctionCodeSchema,
      success: { status: 200, schema: FunctionSchema },
      handler: async ({ params, body, ifMatch }) => {
        const f = await getFunction(store, params.name!);
        checkIfMatch(ifMatch, f.revision, `function ${f.name}`);
        const pkg = buildPackage(body.code, f.runtime, f.handler);
        await app.gate.check(latestTarget(f.name, pkg, f), 'update-code');
        await unchangedSince(f);
        const next: FunctionRecord = {
          ...f,
          codeSha256: pkg.sha256,
          codeSize: pkg.size,
          revision: f.revision + 1,
          updatedAt: clock.now(),
        };
        await store.tx(async () => {
          await store.blobs.put(pkg.sha256, 'bundle', pkg.zip);
          await store.functions.update(next);
        });
        return {
          status: 200,
          body: functionWithVersions(next, await store.functions.versions(f.name)),
          etag: next.revision,
        };
      },
    }),
    route({
      method: 'POST',
      path: '/functions/{name}/publish',
      access: 'admin',
      summary: 'Publish $LATEST as the next immutable numbered version',
      body: PublishSchema,
      success: { status: 201, schema: VersionSchema },
      handler: async ({ params, body, ifMatch }) => {
        const f = await getFunction(store, params.name!);
        checkIfMatch(ifMatch, f.revision, `function ${f.name}`);
        const zip = await bundleOf(store, f.codeSha256, `${f.name}:$LATEST`);
        await app.gate.check({ name: f.name, version: '$LATEST', sha256: f.codeSha256, zip, settings: f }, 'publish');
        const v = await store.tx(async () => {
          await unchangedSince(f);
          return await publish(store, f, body.description ?? '', clock.now());
        });
        app.logger.log('info', 'function published', { function: f.name, version: v.version, sha256: v.sha256 });
        return { status: 201, body: versionView(v) };
      },
    }),
    {
      method: 'GET',
      path: '/functions/{name}/versions',
      access: 'admin',
      summary: 'List the published versions',
      success: { status: 200, schema: itemsOf(VersionSchema) },
      handler: async ({ params }) => ({
        status: 200,
        body: {
          items: (await store.functions.versions((await getFunction(store, params.name!)).name)).map(versionView),
        },
      }),
    },
    {
      method: 'GET',
      path: '/functions/{name}/code',
      access: 'admin',
      summary: 'Read a package back: text files and the zip (base64)',
      query: [{ name: 'version', description: 'a version number or $LATEST (default)' }],
      success: { status: 200, schema: FunctionCodeAnswerSchema },
      handler: async ({ params, query }) => {
        const f = await getFunction(store, params.name!);
        const n = versionParam(query.get('version'), '$.version');
        const sha = n === undefined ? f.codeSha256 : (await store.functions.version(f.name, n))?.sha256;
        if (sha === undefined) throw new VergeError('NOT_FOUND', `function ${f.name} has no version ${n}`);
        const version = n === undefined ? '$LATEST' : String(n);
        const zip = await bundleOf(store, sha, `${f.name}:${version}`);
        return {
          status: 200,
          body: { version, sha256: sha, ...describeZip(zip) },
        };
      },
    },
    {
      method: 'DELETE',
      path: '/functions/{name}',
      access: 'admin',
      summary:
        'Delete a function and its versions (refused while a version is attached); its bundles go unless a snapshot or another function uses them',
      success: { status: 204 },
      handler: async ({ params, ifMatch }) => {
        const f = await getFunction(store, params.name!);
        checkIfMatch(ifMatch, f.revision, `function ${f.name}`);
        const collected = await store.tx(async () => {
          // A running canary of this function counts as attached too (its version is in the snapshot).
          const attached = (await store.triggers.list())
            .filter((t) => t.functionName === f.name || (isActive(t.canary) && t.canary.functionName === f.name))
            .map((t) => (t.functionName === f.name ? t : { ...t, functionVersion: t.canary!.functionVersion }));
          if (attached.length > 0) {
            const names = attached.map(
              (t) => `${t.id} (${t.distributionId} ${t.behavior} ${t.eventType} → ${f.name}:${t.functionVersion})`,
            );
            throw new VergeError(
              'FUNCTION_IN_USE',
              `function ${f.name} is attached by ${names.join(', ')}: remove those triggers first`,
              {
                details: {
                  triggers: attached.map((t) => ({
                    id: t.id,
                    distributionId: t.distributionId,
                    behavior: t.behavior,
                    eventType: t.eventType,
                    function: `${f.name}:${t.functionVersion}`,
                  })),
                },
              },
            );
          }
          const versions = await store.functions.versions(f.name);
          await store.functions.delete(f.name);
          return await collectBundles(store, [f.codeSha256, ...versions.map((v) => v.sha256)]);
        });
        app.logger.log('info', 'function deleted', {
          function: f.name,
          bundlesDeleted: collected.deleted,
          bundlesKept: collected.kept,
        });
        return { status: 204 };
      },
    },
    route({
      method: 'POST',
      path: '/functions/{name}/test',
      access: 'admin',
      summary: 'Run one event through a version (or $LATEST) on the edge runtime; answers what `verge invoke` prints',
      body: FunctionTestSchema,
      success: { status: 200, schema: FunctionTestResultSchema },
      handler: async ({ params, body }) => {
        const b = body;
        const f = await getFunction(store, params.name!);
        const n = versionParam(b.version === undefined ? undefined : String(b.version), '$.version');
        const v = n === undefined ? undefined : await store.functions.version(f.name, n);
        if (n !== undefined && !v)
          throw validationError([{ path: '$.version', message: `function ${f.name} has no version ${n}` }]);
        const sha = v?.sha256 ?? f.codeSha256;
        const target = {
          name: f.name,
          version: v ? String(v.version) : '$LATEST',
          sha256: sha,
          zip: await bundleOf(store, sha, `${f.name}:${v ? v.version : '$LATEST'}`),
          settings: v?.settings ?? f,
        };
        const out = await runTest({ store, box, clock }, target, b.eventType, eventFor(b.eventType, b.event));
        return { status: 200, body: out };
      },
    }),
  ];
}

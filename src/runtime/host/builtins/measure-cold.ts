/**
 * @module runtime/host/builtins/measure-cold
 * Prints the cold cost of each builtin inside a fresh isolate: compiling its source with V8
 * cached data (produced once beforehand), evaluating the factory, and a first use. Not a test:
 * run `node --no-node-snapshot --import tsx src/runtime/host/builtins/measure-cold.ts`.
 * Each figure is the median of RUNS fresh isolates, next to an empty-isolate baseline.
 */
import ivm from 'isolated-vm';
import { BUILTIN_NAMES, builtinSource, createHostFunctions } from '../builtins.js';

const RUNS = 15;

/** A first use per module: what a function would typically do right after require. */
const FIRST_USE: Record<string, string> = {
  querystring: `m.parse('a=1&b=2'); m.stringify({ a: 1 })`,
  url: `new m.URL('https://example.com/a?b=1').searchParams.get('b')`,
  buffer: `m.Buffer.from('hello').toString('base64')`,
  path: `m.join('/a', 'b')`,
  util: `m.format('%s', 1); m.inspect({ a: 1 })`,
  crypto: `m.createHash('sha256').update('x').digest('hex')`,
  zlib: `m.gunzipSync(m.gzipSync('x'))`,
  http: `typeof m.request`,
  https: `typeof m.request`,
  events: `new m().emit('x')`,
  string_decoder: `new m.StringDecoder('utf8').write(new Uint8Array([65]))`,
  assert: `m.ok(true)`,
  stream: `new m.PassThrough()`,
  __fetch: `new m.Headers({ a: '1' }).get('a')`,
  __web: `new m.TextDecoder().decode(new m.TextEncoder().encode('x'))`,
};

// Dependencies are loaded for real (crypto needs buffer): their cost is part of the first require.
const SETUP = `globalThis.__mods = new Map(); globalThis.__bridge = { call: (n, ...a) => __call(n, ...a), callAsync: () => Promise.reject(new Error('not in measurement')) };
globalThis.__require = (n) => { if (!__mods.has(n)) __mods.set(n, __factories[n](__bridge, __require)); return __mods.get(n); };`;

const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function coldOnce(
  sources: Map<string, string>,
  caches: Map<string, ivm.ExternalCopy<ArrayBuffer>>,
  name: string | null,
): Promise<number> {
  const fns = createHostFunctions({ fetchTimeoutMs: 1000, maxFetchBytes: 1 << 20 });
  const t0 = performance.now();
  const isolate = new ivm.Isolate({ memoryLimit: 128 });
  const ctx = await isolate.createContext();
  await ctx.global.set('__call', new ivm.Callback((n: string, ...a: unknown[]) => fns[n]!(...a)));
  await ctx.eval('globalThis.__factories = {};' + SETUP);
  if (name !== null) {
    // Compile lazily, as the loader does: the module and whatever it requires.
    const deps =
      name === 'crypto' || name === 'zlib' || name === 'string_decoder'
        ? ['__web', 'buffer']
        : name === 'buffer' || name === 'util'
          ? ['__web']
          : name === 'stream'
            ? ['events']
            : name === 'http' || name === 'https'
              ? ['events', 'stream', '__web', 'buffer', 'url']
              : [];
    for (const n of [...deps, name]) {
      const script = await isolate.compileScript(`__factories[${JSON.stringify(n)}] = ${sources.get(n)}`, {
        cachedData: caches.get(n)!,
      });
      await script.run(ctx);
    }
    await ctx.eval(`const m = __require(${JSON.stringify(name)}); ${FIRST_USE[name]};`);
  }
  const dt = performance.now() - t0;
  isolate.dispose();
  return dt;
}

async function main(): Promise<void> {
  const sources = new Map<string, string>();
  const caches = new Map<string, ivm.ExternalCopy<ArrayBuffer>>();
  const producer = new ivm.Isolate({ memoryLimit: 128 });
  for (const n of BUILTIN_NAMES) {
    const src = await builtinSource(n);
    sources.set(n, src);
    const s = await producer.compileScript(`__factories[${JSON.stringify(n)}] = ${src}`, { produceCachedData: true });
    caches.set(n, (s as ivm.Script & { cachedData?: ivm.ExternalCopy<ArrayBuffer> }).cachedData!);
  }
  producer.dispose();
  for (let i = 0; i < 3; i++) await coldOnce(sources, caches, null); // warm the host side
  const base: number[] = [];
  for (let i = 0; i < RUNS; i++) base.push(await coldOnce(sources, caches, null));
  const b = median(base);
  console.log(`baseline (new isolate + context, no builtin): ${b.toFixed(2)} ms`);
  console.log('module'.padEnd(16), 'bytes'.padStart(7), 'cold ms'.padStart(9), 'extra ms'.padStart(9));
  for (const n of BUILTIN_NAMES) {
    const xs: number[] = [];
    for (let i = 0; i < RUNS; i++) xs.push(await coldOnce(sources, caches, n));
    const m = median(xs);
    console.log(
      n.padEnd(16),
      String(sources.get(n)!.length).padStart(7),
      m.toFixed(2).padStart(9),
      (m - b).toFixed(2).padStart(9),
    );
  }
}

await main();

/**
 * @module runtime/host/blank-isolates
 * Isolates with the guest runtime evaluated but no function in them yet, and the V8 code cache
 * compile helper. Creating an isolate and a context is most of a cold start and none of it
 * depends on the function, so one blank isolate per memory size is kept ready while a runtime is
 * open and refilled in the background when taken (the "spare"; DESIGN section 3).
 */
import ivm from 'isolated-vm';
import { setFlagsFromString } from 'node:v8';

// Isolates get `gc` (the guest runtime takes it off the global before user code runs): guest/wasm.ts
// collects on demand before deciding a function's WebAssembly budget is spent. Contexts made
// before this line (Node's own) are unaffected.
setFlagsFromString('--expose-gc');

export type CodeCache = ivm.ExternalCopy<ArrayBuffer>;

/** Compile with V8 cached data: produced by the first compile of `key`, consumed by the next ones. */
export function compile(
  isolate: ivm.Isolate,
  code: string,
  filename: string,
  cache: Map<string, CodeCache>,
  key: string,
): ivm.Script {
  const cachedData = cache.get(key);
  const opts = cachedData ? { filename, cachedData } : { filename, produceCachedData: true };
  const script = isolate.compileScriptSync(code, opts) as ivm.Script & {
    cachedData?: CodeCache;
    cachedDataRejected?: boolean;
  };
  if ((!cachedData || script.cachedDataRejected) && script.cachedData) cache.set(key, script.cachedData);
  return script;
}

/** A fresh isolate with the guest runtime evaluated but not initialized: generic, so it can be made ahead. */
export interface Blank {
  isolate: ivm.Isolate;
  context: ivm.Context;
  api: ivm.Reference<Record<string, unknown>>;
  source: string;
}

const guestCodeCache = new Map<string, CodeCache>();
const spares = new Map<number, Blank>();
const refilling = new Set<number>();
let openRuntimes = 0;

async function createBlankAsync(memoryMB: number, source: string): Promise<Blank> {
  const isolate = new ivm.Isolate({ memoryLimit: memoryMB });
  const context = await isolate.createContext();
  const cachedData = guestCodeCache.get('guest');
  const script = (await isolate.compileScript(
    source,
    cachedData ? { filename: 'verge:runtime', cachedData } : { filename: 'verge:runtime', produceCachedData: true },
  )) as ivm.Script & { cachedData?: CodeCache };
  if (!cachedData && script.cachedData) guestCodeCache.set('guest', script.cachedData);
  const api = (await script.run(context, { reference: true })) as ivm.Reference<Record<string, unknown>>;
  return { isolate, context, api, source };
}

/**
 * Keep one blank isolate per memory size ready, made in the background after one is taken:
 * creating an isolate and a context is most of a cold start (deps.md 1a), and none of it
 * depends on the function. Only while a runtime is open.
 */
function refill(memoryMB: number, source: string): void {
  if (refilling.has(memoryMB) || openRuntimes === 0) return;
  refilling.add(memoryMB);
  setImmediate(() => {
    createBlankAsync(memoryMB, source)
      .then((b) => {
        refilling.delete(memoryMB);
        if (openRuntimes === 0 || spares.has(memoryMB)) return b.isolate.dispose();
        spares.set(memoryMB, b);
      })
      .catch(() => refilling.delete(memoryMB));
  });
}

/**
 * The spare isolate when one is ready; else a new one, made off the main thread (creating the
 * context and running the guest runtime in it is 10-20 ms, more on a busy machine: a crash loop
 * that needs a fresh isolate per request must not block the edge's event loop for that long).
 */
export async function takeBlank(memoryMB: number, source: string): Promise<Blank> {
  const spare = spares.get(memoryMB);
  spares.delete(memoryMB);
  refill(memoryMB, source);
  if (spare && !spare.isolate.isDisposed && spare.source === source) return spare;
  if (spare && !spare.isolate.isDisposed) spare.isolate.dispose();
  return createBlankAsync(memoryMB, source);
}

/** Runtimes count themselves in and out; spare isolates exist only while one is open. */
export function retainSpares(): void {
  openRuntimes++;
}
export function releaseSpares(): void {
  openRuntimes = Math.max(0, openRuntimes - 1);
  if (openRuntimes > 0) return;
  for (const b of spares.values()) if (!b.isolate.isDisposed) b.isolate.dispose();
  spares.clear();
}

/**
 * @module runtime/host/direct-invoke
 * The edge's way around the promise of `FunctionRuntime.invoke` for functions this runtime
 * loaded: `directInvoke(fn)` gives an invoke that returns the InvokeResult itself when the
 * function completed inside the synchronous crossing into its isolate, so the pipeline stays on
 * its synchronous path (a cache hit with a header-adding function costs no promise hop).
 * Same runtime, limits, validation and results as `invoke`; only the wrapping differs. Kept in
 * its own module, free of isolated-vm, so the edge can import it without loading the runtime.
 * Handles of other runtimes (Python, test doubles) are not registered: callers fall back to
 * `FunctionRuntime.invoke`.
 */
import type { InvokeInput, InvokeResult, LoadedFunction } from '../../shared/lambda-edge/index.js';

export type DirectInvoke = (input: InvokeInput) => InvokeResult | Promise<InvokeResult>;

const registry = new WeakMap<LoadedFunction, DirectInvoke>();

export function registerDirectInvoke(fn: LoadedFunction, invoke: DirectInvoke): void {
  registry.set(fn, invoke);
}

export function unregisterDirectInvoke(fn: LoadedFunction): void {
  registry.delete(fn);
}

/** The sync-capable invoke of a loaded function, or undefined when its runtime has none. */
export function directInvoke(fn: LoadedFunction): DirectInvoke | undefined {
  return registry.get(fn);
}

/**
 * @module runtime/python/guest/restore (types)
 * Types of guest/restore.mjs for the TypeScript side (its test); the child runs the .mjs as is.
 */
export function hookRestore(snapshot: Uint8Array, mode: 'sparse' | 'check' | 'full'): { done(): boolean | undefined };

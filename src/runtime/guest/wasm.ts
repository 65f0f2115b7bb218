/**
 * @module runtime/guest/wasm
 * INSIDE the isolate (Lambda@Edge mode). WebAssembly memory counted against the function's memory
 * limit. isolated-vm's limit covers the V8 heap and array buffers but not WebAssembly memories
 * (a 128 MB function filled 2 GiB), and a module's own memory grows from inside WebAssembly code
 * (`memory.grow`) where no JavaScript sees it. So every memory's maximum is fixed before it
 * exists: `new WebAssembly.Memory` and every instantiated module (its memory section rewritten)
 * get a maximum clamped to what the function's budget has left, and that maximum stays reserved
 * until the memory and the instance that owns it are garbage collected. The maxima of live
 * memories never add up to more than the memory limit, however the code grows them. When an
 * invocation reports, the heap in use plus the memories' current sizes must also fit the limit.
 * Going past either is an out-of-memory failure (`op('oom')`): the invocation fails as Lambda's
 * would and the isolate is discarded.
 *
 * User code runs in the same realm and may replace any prototype method or global, so this file
 * uses only functions captured when the runtime loads (before user code), called through
 * Reflect.apply, and no syntax that consults a prototype (no spread, for-of or array methods).
 */
import { P, op } from './host.js';

const PAGE = 65536;
/** `new.target` of the wrapped constructors (Reflect.construct's third argument). */
type NewTarget = abstract new (...args: never[]) => unknown;
const W = WebAssembly;
const OrigMemory = W.Memory;
const OrigModule = W.Module;
const OrigInstance = W.Instance;
const apply = Reflect.apply;
const construct = Reflect.construct;
const Num = Number;
const min = Math.min;
const mathMax = Math.max;
const floor = Math.floor;
const values = Object.values;
const U8 = Uint8Array;
const getter = (proto: object, name: string) => Object.getOwnPropertyDescriptor(proto, name)!.get!;
const TA = Object.getPrototypeOf(U8.prototype) as object;
const taSet = U8.prototype.set;
const taSubarray = U8.prototype.subarray;
const taLength = getter(TA, 'length');
const taBuffer = getter(TA, 'buffer');
const taOffset = getter(TA, 'byteOffset');
const taByteLength = getter(TA, 'byteLength');
const dvBuffer = getter(DataView.prototype, 'buffer');
const dvOffset = getter(DataView.prototype, 'byteOffset');
const dvByteLength = getter(DataView.prototype, 'byteLength');
const abByteLength = getter(ArrayBuffer.prototype, 'byteLength');
const memBuffer = getter(OrigMemory.prototype, 'buffer');
const instExports = getter(OrigInstance.prototype, 'exports');
const isView = ArrayBuffer.isView;
const WR = WeakRef;
const deref = WeakRef.prototype.deref;
const frRegister = FinalizationRegistry.prototype.register;
const WM = WeakMap;
const wmGet = WeakMap.prototype.get;
const wmSet = WeakMap.prototype.set;
const F64 = Float64Array;
const create = Object.create;
const CompileError = W.CompileError;
const TypeErr = TypeError;
const RangeErr = RangeError;

/** A reservation: `pages` held until every owner is collected; a doubly linked list (no Set). */
interface Reservation {
  pages: number;
  /** Counted at report time: a memory whose current size is known, else `floorPages`. */
  visible: WeakRef<WebAssembly.Memory> | undefined;
  floorPages: number;
  owners: number;
  owner1: WeakRef<object>;
  owner2: WeakRef<object> | undefined;
  prev: Reservation | undefined;
  next: Reservation | undefined;
  live: boolean;
}

/**
 * A full collection on demand (the host starts V8 with --expose-gc; the runtime takes `gc` off the
 * global before user code runs): when the budget looks spent, memories that are garbage but not
 * yet collected must not count, or a function making one memory per invocation fails at random.
 */
const collect = (globalThis as { gc?: () => void }).gc;

/** V8 makes `gc` non-configurable: it stays a name on the global, with the value undefined, read-only. */
export function hideGc(): void {
  if (collect) P.defineProperty(globalThis, 'gc', { value: undefined, writable: false });
}

let budgetPages = 0;
let reserved = 0;
let limitMB = 0;
let head: Reservation | undefined;

function release(r: Reservation): void {
  if (!r.live) return;
  r.live = false;
  reserved -= r.pages;
  if (r.prev) r.prev.next = r.next;
  else head = r.next;
  if (r.next) r.next.prev = r.prev;
}

const finalizer = new FinalizationRegistry<Reservation>((r) => {
  if (--r.owners <= 0) release(r);
});

/** Release reservations whose owners are all gone. */
function sweep(): void {
  for (let r = head; r;) {
    const next = r.next;
    if (!apply(deref, r.owner1, []) && !(r.owner2 && apply(deref, r.owner2, []))) release(r);
    r = next;
  }
}

/** Whether `pages` are free, after releasing what garbage holds (collected on demand). */
function ensureFree(pages: number): boolean {
  if (budgetPages - reserved >= pages) return true;
  sweep();
  if (budgetPages - reserved >= pages || !collect) return budgetPages - reserved >= pages;
  collect();
  sweep();
  return budgetPages - reserved >= pages;
}

/** Fail the invocation as out of memory (the host discards the isolate), and unwind the caller. */
function outOfMemory(what: string): never {
  op('oom', `${what}: over the function's memory limit (${limitMB} MB)`);
  throw new RangeErr(`${what}: could not allocate memory`);
}

function reserve(
  pages: number,
  owner: object,
  more: object | undefined,
  visible: WebAssembly.Memory | undefined,
  floorPages: number,
): void {
  const r: Reservation = {
    pages,
    visible: visible ? construct(WR, [visible]) : undefined,
    floorPages,
    owners: more ? 2 : 1,
    owner1: construct(WR, [owner]),
    owner2: more ? construct(WR, [more]) : undefined,
    prev: undefined,
    next: head,
    live: true,
  };
  if (head) head.prev = r;
  head = r;
  reserved += pages;
  apply(frRegister, finalizer, [owner, r]);
  if (more) apply(frRegister, finalizer, [more, r]);
}

function pagesOf(m: WebAssembly.Memory): number {
  return apply(abByteLength, apply(memBuffer, m, []), []) / PAGE;
}

/** Heap in use plus WebAssembly memory must fit the limit when an invocation reports (lambda.ts). */
export function checkWasmBudget(): void {
  if (!head) return;
  let pages = 0;
  for (let r = head; r; r = r.next) {
    const m = r.visible ? (apply(deref, r.visible, []) as WebAssembly.Memory | undefined) : undefined;
    pages += m ? pagesOf(m) : r.floorPages;
  }
  const heap = Num(op('heap', 'all')) || 0;
  if (heap + pages * PAGE > limitMB * 1024 * 1024) outOfMemory('WebAssembly memory and heap');
}

// ---- The binary format: the memory section's limits (WebAssembly core spec 5.5.11) ----

interface Parsed {
  /** Offsets of the memory section (id byte to end); -1 when the module defines no memory. */
  start: number;
  end: number;
  count: number;
  /** Typed arrays (no prototype setter can intercept their elements); `max` is NaN when absent. */
  flags: Float64Array;
  initial: Float64Array;
  max: Float64Array;
}

const none = (): Float64Array => construct(F64, [0]) as Float64Array;

function compileError(): never {
  throw new CompileError('WebAssembly.Module(): the module is malformed');
}

function leb(bytes: Uint8Array, len: number, at: { pos: number }): number {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (at.pos >= len) compileError();
    const b = bytes[at.pos++]!;
    result += (b & 0x7f) * mul;
    mul *= 128;
    if ((b & 0x80) === 0) return result;
  }
  return compileError();
}

function lebSize(n: number): number {
  let s = 1;
  while (n >= 128) {
    n = floor(n / 128);
    s++;
  }
  return s;
}

function putLeb(out: Uint8Array, at: { pos: number }, n: number): void {
  for (;;) {
    let b = n % 128;
    n = floor(n / 128);
    if (n > 0) b |= 0x80;
    out[at.pos++] = b;
    if (n === 0) return;
  }
}

function parse(bytes: Uint8Array): Parsed {
  const out: Parsed = { start: -1, end: -1, count: 0, flags: none(), initial: none(), max: none() };
  const len = apply(taLength, bytes, []) as number;
  const at = { pos: 8 };
  while (at.pos < len) {
    const start = at.pos;
    const id = bytes[at.pos++]!;
    const size = leb(bytes, len, at);
    const end = at.pos + size;
    if (id === 5) {
      const count = leb(bytes, len, at);
      // Each memory takes at least two bytes: a larger count is malformed (and must not allocate).
      if (count * 2 > end - at.pos) compileError();
      out.flags = construct(F64, [count]) as Float64Array;
      out.initial = construct(F64, [count]) as Float64Array;
      out.max = construct(F64, [count]) as Float64Array;
      for (let i = 0; i < count; i++) {
        if (at.pos >= end) compileError();
        const flags = bytes[at.pos++]!;
        out.flags[i] = flags;
        out.initial[i] = leb(bytes, len, at);
        out.max[i] = flags & 1 ? leb(bytes, len, at) : NaN;
      }
      out.start = start;
      out.end = end;
      out.count = count;
    }
    at.pos = end;
  }
  return out;
}

/** The module with defined memory i's maximum set to `maxes[i]` (its memory section rebuilt). */
function rewrite(bytes: Uint8Array, p: Parsed, maxes: Float64Array): Uint8Array {
  let bodyLen = lebSize(p.count);
  for (let i = 0; i < p.count; i++) bodyLen += 1 + lebSize(p.initial[i]!) + lebSize(maxes[i]!);
  const len = apply(taLength, bytes, []) as number;
  const sectionLen = 1 + lebSize(bodyLen) + bodyLen;
  const out = construct(U8, [len - (p.end - p.start) + sectionLen]) as Uint8Array;
  apply(taSet, out, [apply(taSubarray, bytes, [0, p.start]), 0]);
  const at = { pos: p.start };
  out[at.pos++] = 5;
  putLeb(out, at, bodyLen);
  putLeb(out, at, p.count);
  for (let i = 0; i < p.count; i++) {
    out[at.pos++] = p.flags[i]! | 1;
    putLeb(out, at, p.initial[i]!);
    putLeb(out, at, maxes[i]!);
  }
  apply(taSet, out, [apply(taSubarray, bytes, [p.end]), at.pos]);
  return out;
}

/** A private copy of a BufferSource, read through captured accessors only. */
function toBytes(source: unknown): Uint8Array {
  let buf: ArrayBuffer;
  let off = 0;
  let len: number;
  if (isView(source)) {
    let ta = true;
    try {
      buf = apply(taBuffer, source, []) as ArrayBuffer;
    } catch {
      ta = false;
      buf = apply(dvBuffer, source, []) as ArrayBuffer;
    }
    off = apply(ta ? taOffset : dvOffset, source, []) as number;
    len = apply(ta ? taByteLength : dvByteLength, source, []) as number;
  } else {
    try {
      len = apply(abByteLength, source, []) as number;
    } catch {
      throw new TypeErr('WebAssembly.Module(): Argument 0 must be a buffer source');
    }
    buf = source as ArrayBuffer;
  }
  const copy = construct(U8, [len]) as Uint8Array;
  apply(taSet, copy, [construct(U8, [buf, off, len]), 0]);
  return copy;
}

interface ModuleInfo {
  bytes: Uint8Array;
  parsed: Parsed;
}
const modules = new WM<WebAssembly.Module, ModuleInfo>();
/** Memories made by `new WebAssembly.Memory` (already reserved; not counted again as a module's). */
const jsMemories = new WM<WebAssembly.Memory, true>();

function ceilings(p: Parsed): Float64Array {
  const c = construct(F64, [p.count]) as Float64Array;
  // Never below the initial size (that would not compile); such a module fails when instantiated.
  for (let i = 0; i < p.count; i++)
    c[i] = mathMax(p.initial[i]!, p.max[i]! >= 0 ? min(p.max[i]!, budgetPages) : budgetPages);
  return c;
}

/** Compile with every defined memory's maximum clamped to the whole budget (a per-module ceiling). */
function compileSync(source: unknown, newTarget: NewTarget): WebAssembly.Module {
  const bytes = toBytes(source);
  const parsed = parse(bytes);
  const code = parsed.start >= 0 ? rewrite(bytes, parsed, ceilings(parsed)) : bytes;
  const mod = construct(OrigModule, [code], newTarget) as WebAssembly.Module;
  apply(wmSet, modules, [mod, { bytes, parsed }]);
  return mod;
}

/** Instantiate after reserving the defined memories' maxima; shrink them to what is left, or fail. */
function instantiateSync(mod: unknown, imports: unknown, newTarget: NewTarget): WebAssembly.Instance {
  const info = apply(wmGet, modules, [mod]) as ModuleInfo | undefined;
  if (!info) throw new TypeErr('WebAssembly.Instance(): Argument 0 must be a WebAssembly.Module');
  const p = info.parsed;
  let maxes = ceilings(p);
  let need = 0;
  let initial = 0;
  for (let i = 0; i < p.count; i++) {
    need += maxes[i]!;
    initial += p.initial[i]!;
  }
  ensureFree(need);
  const free = budgetPages - reserved;
  let run = mod;
  if (need > free) {
    if (initial > free) outOfMemory('WebAssembly.Instance()');
    // Each memory keeps its initial size and shares what is left as room to grow.
    const share = floor((free - initial) / p.count);
    const shrunk = construct(F64, [p.count]) as Float64Array;
    need = 0;
    for (let i = 0; i < p.count; i++) {
      shrunk[i] = min(maxes[i]!, p.initial[i]! + share);
      need += shrunk[i]!;
    }
    maxes = shrunk;
    run = construct(OrigModule, [rewrite(info.bytes, p, maxes)], OrigModule);
  }
  const inst = construct(
    OrigInstance,
    imports === undefined ? [run] : [run, imports],
    newTarget,
  ) as WebAssembly.Instance;
  if (p.count > 0) {
    // The exported memory that is this module's own (not one made by `new WebAssembly.Memory`):
    // it may outlive the instance, so it owns the reservation too, and its size is known.
    const exported = values(apply(instExports, inst, []) as object) as unknown[];
    let own: WebAssembly.Memory | undefined;
    let owns = 0;
    for (let i = 0; i < exported.length; i++) {
      const v = exported[i];
      try {
        pagesOf(v as WebAssembly.Memory);
      } catch {
        continue;
      }
      if (apply(wmGet, jsMemories, [v])) continue;
      own = v as WebAssembly.Memory;
      owns++;
    }
    const visible = owns === 1 && p.count === 1 ? own : undefined;
    reserve(need, inst, owns === 1 ? own : undefined, visible, initial);
  }
  return inst;
}

function Module(this: unknown, bytes: unknown): WebAssembly.Module {
  if (!new.target) throw new TypeErr("Class constructor Module cannot be invoked without 'new'");
  return compileSync(bytes, new.target);
}

function Instance(this: unknown, mod: WebAssembly.Module, imports?: unknown): WebAssembly.Instance {
  if (!new.target) throw new TypeErr("Class constructor Instance cannot be invoked without 'new'");
  return instantiateSync(mod, imports, new.target);
}

function Memory(this: unknown, desc: WebAssembly.MemoryDescriptor): WebAssembly.Memory {
  if (!new.target) throw new TypeErr("Class constructor Memory cannot be invoked without 'new'");
  if (desc === null || typeof desc !== 'object')
    throw new TypeErr('WebAssembly.Memory(): Argument 0 must be a memory descriptor');
  const d = desc as { initial?: unknown; minimum?: unknown; maximum?: unknown; shared?: unknown };
  const initial = Num(d.initial ?? d.minimum);
  const maxIn = d.maximum;
  const max = maxIn === undefined ? undefined : Num(maxIn);
  const shared = !!d.shared;
  ensureFree(max ?? budgetPages);
  const free = budgetPages - reserved;
  if (initial > free) outOfMemory('WebAssembly.Memory()');
  const clamped = min(max ?? free, free);
  // A descriptor with no prototype: V8 also reads optional keys a polluted Object.prototype could supply.
  const clean = create(null) as Record<string, unknown>;
  clean.initial = initial;
  clean.maximum = clamped;
  clean.shared = shared;
  const mem = construct(OrigMemory, [clean], new.target) as WebAssembly.Memory;
  apply(wmSet, jsMemories, [mem, true]);
  reserve(clamped, mem, undefined, mem, initial);
  return mem;
}

async function bytesOf(source: unknown): Promise<unknown> {
  const s = await source;
  const ab = s && (s as { arrayBuffer?: unknown }).arrayBuffer;
  if (typeof ab === 'function' && !isView(s)) return apply(ab, s, []) as Promise<ArrayBuffer>;
  return s;
}

/**
 * Replace the constructors and compile functions on the one `WebAssembly` namespace (and the
 * prototypes' `constructor`, the other way to reach the originals) before user code runs.
 */
export function containWasm(memoryMB: number): void {
  limitMB = memoryMB;
  budgetPages = floor((memoryMB * 1024 * 1024) / PAGE);
  const set = (obj: object, name: string, value: unknown) =>
    P.defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: false });
  const pairs: Array<[string, NewTarget, { prototype: object }]> = [
    ['Module', Module, OrigModule],
    ['Instance', Instance, OrigInstance],
    ['Memory', Memory, OrigMemory],
  ];
  for (let i = 0; i < pairs.length; i++) {
    const [name, fn, orig] = pairs[i]!;
    P.defineProperty(fn, 'prototype', { value: orig.prototype, writable: false });
    set(orig.prototype, 'constructor', fn);
    P.defineProperty(fn, 'name', { value: name });
    set(W, name, fn);
  }
  set(Module, 'exports', OrigModule.exports);
  set(Module, 'imports', OrigModule.imports);
  set(Module, 'customSections', OrigModule.customSections);
  const compile = async (source: unknown) => compileSync(await bytesOf(source), Module);
  const instantiate = async (source: unknown, imports?: unknown) => {
    const s = await source;
    if (apply(wmGet, modules, [s])) return instantiateSync(s, imports, Instance);
    const module = compileSync(await bytesOf(s), Module);
    return { module, instance: instantiateSync(module, imports, Instance) };
  };
  set(W, 'compile', compile);
  set(W, 'compileStreaming', compile);
  set(W, 'instantiate', instantiate);
  set(W, 'instantiateStreaming', instantiate);
}

/** CloudFront Functions have no WebAssembly: the global goes before user code runs. */
export function removeWasm(): void {
  delete (globalThis as { WebAssembly?: unknown }).WebAssembly;
}

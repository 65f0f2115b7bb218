/**
 * @module runtime/python/guest/restore
 * A cheaper restore of Pyodide's memory snapshot inside an interpreter process. Pyodide copies the
 * whole 30 MiB image into the new WebAssembly memory (`HEAP8.set(image)` in restoreSnapshot), which
 * touches every page; on the bench VM each first touch of a 4 KiB page costs ~20 µs, and half the
 * image's pages are zeros that a fresh memory already holds. The sparse restore copies only the
 * image's non-zero pages.
 *
 * That is exact only if no page the image has as zeros was written before the restore (by the data
 * segments or C constructors). This does not vary between processes (same binary, flags, empty
 * environment), so the host has the first interpreter of each snapshot boot in `check` mode (a
 * full copy that also reports whether sparse would have been exact) and uses `sparse` only after
 * a check said so (sandbox.ts keeps the verdict beside the snapshot).
 */
const PAGE = 4096;
const ZERO = Buffer.alloc(PAGE);
const typedArraySet = Object.getPrototypeOf(Int8Array.prototype).set;

/** Whether the page at `at` of `bytes` is all zeros (Buffer.compare is a native memcmp). */
function isZero(bytes, at) {
  return at + PAGE <= bytes.length && Buffer.compare(bytes.subarray(at, at + PAGE), ZERO) === 0;
}

/** Copy the non-zero pages of `image` into `mem`, consecutive ones in one call. */
function copyNonZero(mem, image) {
  let run = -1;
  for (let at = 0; at < image.length; at += PAGE) {
    const zero = isZero(image, at);
    if (!zero && run < 0) run = at;
    if (zero && run >= 0) {
      mem.set(image.subarray(run, at), run);
      run = -1;
    }
  }
  if (run >= 0) mem.set(image.subarray(run), run);
}

/** True when every page that is zero in `image` is zero in `mem` too. */
function sparseWouldBeExact(mem, image) {
  for (let at = 0; at < image.length; at += PAGE) if (isZero(image, at) && !isZero(mem, at)) return false;
  return true;
}

/**
 * Intercept the one `HEAP8.set(image)` of loadPyodide's restore (recognised by being the memory
 * image part of `snapshot`, the buffer passed as `_loadSnapshot`). `mode`: 'sparse', 'check' or
 * 'full'. Call `done()` after loadPyodide: it removes the hook and, in 'check' mode, returns
 * whether a sparse restore would have been exact.
 */
export function hookRestore(snapshot, mode) {
  const start = new Uint32Array(snapshot.buffer, snapshot.byteOffset, 4)[1];
  let exact;
  const isImage = (src) =>
    src?.buffer === snapshot.buffer &&
    src.byteOffset === snapshot.byteOffset + start &&
    src.length === snapshot.length - start;
  function set(src, offset) {
    if (!isImage(src) || offset || mode === 'full') return typedArraySet.call(this, src, offset);
    const mem = new Uint8Array(this.buffer, this.byteOffset, this.byteLength);
    const image = Buffer.from(src.buffer, src.byteOffset, src.length);
    if (mode === 'sparse') return copyNonZero(mem, image);
    exact = sparseWouldBeExact(mem, image);
    return typedArraySet.call(this, src, offset);
  }
  Object.defineProperty(Int8Array.prototype, 'set', { value: set, configurable: true, writable: true });
  return {
    done() {
      delete Int8Array.prototype.set;
      return exact;
    },
  };
}

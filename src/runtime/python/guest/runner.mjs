/**
 * @module runtime/python/guest/runner
 * The script a sandboxed Python interpreter process runs (plain JS: the child may read only the
 * Pyodide folder and this folder, so no TypeScript loader). Started by runtime/python/sandbox as
 * `[prlimit] [unshare -n [-S -G nobody]] [setpriv] node --experimental-permission
 * --allow-fs-read=... runner.mjs <pyodideDir> <snapshotFile|--make-snapshot> [sparse|check|full]`
 * (the last: how the snapshot is restored, guest/restore.mjs) with an empty environment (deps.md
 * section 4).
 *
 * Channels, all blocking: the host writes to fd 5 and the child reads it synchronously; everything
 * the child says goes out as newline-delimited JSON on fd 4 (log lines stay in order with results
 * and survive a kill). Once booted the child never returns to its event loop: it blocks in read()
 * on fd 5, so an event costs one wake-up and no IPC decoding. What arrives on fd 5:
 *   `I[requestId, arn, logStream, msLeft]\n<event json>\n`  invoke (the event goes to Python as is)
 *   `N{handler, env, files: [[name, size]...]}\n<the files' bytes>`  init
 *   one JSON line: the answer to a synchronous call (urllib.request.urlopen) from Python
 * End of file on fd 5 means the host is gone: the child exits. The IPC channel (fd 3) only carries
 * the memory snapshot out of a `--make-snapshot` child.
 */
import fs from 'node:fs';
import os from 'node:os';
import { hookRestore } from './restore.mjs';

// sandbox.ts passes one glibc tunable (huge pages for malloc, read by the loader at exec) and the
// process's data cap; the process environment is otherwise empty and stays so.
const dataCapBytes = Number(process.env.VERGE_DATA_CAP_BYTES) || 0;
for (const k of Object.keys(process.env)) delete process.env[k];

// A WebAssembly memory that would outgrow the process's data cap (prlimit --data) can only fail
// to grow, but V8 answers such a grow only after trying to reclaim memory first: seconds on a busy
// machine, so a handler that allocated one large block met its timeout before its MemoryError.
// Refuse it at once: Emscripten's heap resize catches the error, malloc returns NULL and Python
// raises MemoryError (the interpreter's `oom` outcome), as it would have after the slow path.
if (dataCapBytes > 0) {
  const grow = WebAssembly.Memory.prototype.grow;
  WebAssembly.Memory.prototype.grow = function (delta) {
    if (this.buffer.byteLength + Number(delta) * 65536 > dataCapBytes) {
      throw new RangeError(`WebAssembly.Memory.grow(): past the data cap of ${dataCapBytes} bytes`);
    }
    return grow.call(this, delta);
  };
}

// Boot phases in ms since the process started (performance.timeOrigin), reported with `ready`.
const phases = { node: performance.now() };

const [pyodideDir, snapshotArg, restoreMode = 'full'] = process.argv.slice(2);
const OUT = 4;
const IN = 5;
const here = new URL('.', import.meta.url).pathname;

function writeAll(data) {
  let off = 0;
  while (off < data.length) off += fs.writeSync(OUT, data, off);
}

function emit(msg) {
  writeAll(Buffer.from(JSON.stringify(msg) + '\n'));
}

/** Bytes read from fd 5 and not yet consumed: buf[start, end). */
let buf = Buffer.alloc(1 << 16);
let start = 0;
let end = 0;

/** Read more from fd 5 (blocking), growing the buffer when it is full. */
function fill() {
  if (start === end) start = end = 0;
  if (end === buf.length) {
    const bigger = start > 0 ? buf : Buffer.alloc(buf.length * 2);
    buf.copy(bigger, 0, start, end);
    buf = bigger;
    end -= start;
    start = 0;
  }
  const n = fs.readSync(IN, buf, end, buf.length - end, null);
  if (n === 0) process.exit(0); // the host closed the channel: it is gone
  end += n;
}

/** The next newline-terminated line from fd 5. */
function readLine() {
  for (let scanned = 0; ; scanned = end - start, fill()) {
    const nl = buf.subarray(start + scanned, end).indexOf(10);
    if (nl >= 0) {
      const stop = start + scanned + nl;
      const line = buf.toString('utf8', start, stop);
      start = stop + 1;
      return line;
    }
  }
}

/** The next `n` raw bytes from fd 5 (a view into the read buffer: valid until the next read). */
function readBytes(n) {
  while (end - start < n) {
    if (buf.length < n) {
      const bigger = Buffer.alloc(n);
      buf.copy(bigger, 0, start, end);
      buf = bigger;
      end -= start;
      start = 0;
    }
    fill();
  }
  const out = buf.subarray(start, start + n);
  start += n;
  return out;
}

/** The one host capability Python gets: a synchronous call answered by the parent (fetch). */
function hostCall(json) {
  emit({ t: 'call', body: String(json) });
  return readLine();
}

function hostLog(level, message) {
  emit({ t: 'log', level: String(level), message: String(message), time: Date.now() });
}

// Under the permission model process.binding is denied, and Pyodide's NODEFS.staticInit calls
// process.binding('constants') (deps.md section 4).
process.binding = (name) => {
  if (name === 'constants') return { fs: fs.constants, os: os.constants };
  throw new Error(`process.binding('${name}') is not available`);
};

/**
 * Close the remaining JS-side routes once Pyodide is up: a JsProxy's `.constructor.constructor`
 * is the same-realm Function constructor, which would evaluate arbitrary JS in this process
 * (deps.md section 4). The process is locked down anyway; this removes the easy path.
 */
function sealFunctionConstructors() {
  const protos = [
    Function.prototype,
    Object.getPrototypeOf(async function () {}),
    Object.getPrototypeOf(function* () {}),
    Object.getPrototypeOf(async function* () {}),
  ];
  for (const p of protos) Object.defineProperty(p, 'constructor', { value: undefined, writable: false });
}

const send = process.send?.bind(process);
process.on('disconnect', () => process.exit(0));
const quiet = { stdout: () => {}, stderr: () => {} };

async function boot() {
  const { loadPyodide } = await import(`${pyodideDir}/pyodide.mjs`);
  const shim = fs.readFileSync(`${here}shim.py`, 'utf8');
  if (snapshotArg === '--make-snapshot') {
    const py = await loadPyodide({
      indexURL: `${pyodideDir}/`,
      _makeSnapshot: true,
      jsglobals: Object.create(null),
      ...quiet,
    });
    py.globals.set('_VERGE_SHIM', shim);
    py.runPython(
      "import sys, types\n_m = types.ModuleType('_verge')\nexec(compile(_VERGE_SHIM, '<verge>', 'exec'), _m.__dict__)\nsys.modules['_verge'] = _m\ndel _m, _VERGE_SHIM",
    );
    const snap = py.makeMemorySnapshot();
    // Stay alive until the host has the bytes and kills us (an exit could cut the message short).
    send({ t: 'snapshot', data: snap });
    setInterval(() => {}, 60_000);
    return;
  }
  const snap = fs.readFileSync(snapshotArg);
  const restore = hookRestore(snap, restoreMode);
  let py;
  let sparseExact;
  try {
    py = await loadPyodide({
      indexURL: `${pyodideDir}/`,
      _loadSnapshot: snap,
      jsglobals: Object.create(null),
      ...quiet,
    });
  } finally {
    sparseExact = restore.done();
  }
  phases.pyodide = performance.now();
  py.registerJsModule('_verge_host', { call: hostCall, log: hostLog });
  const verge = py.pyimport('_verge');
  verge.attach();
  verge.warmup();
  // Python must not reach Pyodide's JS API or JS globals: `import js` / `import pyodide_js` fail from here on.
  for (const m of ['_verge_host', 'pyodide_js', 'js']) {
    try {
      py.unregisterJsModule(m);
    } catch {
      /* not registered */
    }
  }
  py.runPython("import sys\nfor _n in ('_verge_host', 'pyodide_js', 'js'):\n    sys.modules.pop(_n, None)\ndel _n");
  sealFunctionConstructors();
  phases.warmup = performance.now();
  emit({ t: 'ready', phases, ...(sparseExact === undefined ? {} : { sparseExact }) });
  serve(py, verge.init, verge.invoke);
}

/** The command loop (never returns): one command at a time from fd 5, answered on fd 4. */
function serve(py, init, invoke) {
  for (;;) {
    const line = readLine();
    const kind = line[0];
    if (kind === 'I') {
      const [requestId, arn, stream, remainingMs] = JSON.parse(line.slice(1));
      const out = invoke(readLine(), requestId, arn, stream, remainingMs);
      // A result line is "R<json>" verbatim; anything else (errors) is a normal JSON message.
      if (out.startsWith('R')) writeAll(Buffer.from(out + '\n'));
      else emit({ t: 'result', result: out });
    } else if (kind === 'N') {
      const m = JSON.parse(line.slice(1));
      for (const [name, size] of m.files) {
        const path = `/var/task/${name}`;
        py.FS.mkdirTree(path.slice(0, path.lastIndexOf('/')));
        // A copy: MEMFS keeps the array it is given (Buffer#slice is a view), and the read buffer is reused.
        py.FS.writeFile(path, new Uint8Array(readBytes(size)));
      }
      // A large package grew the buffer; events need far less.
      if (start === end && buf.length > 1 << 20) [buf, start, end] = [Buffer.alloc(1 << 16), 0, 0];
      emit({ t: 'init-done', result: init(m.handler, JSON.stringify(m.env)) });
    } else {
      process.exit(0);
    }
  }
}

boot().catch((e) => {
  try {
    emit({ t: 'fatal', message: String(e && e.stack ? e.stack : e) });
  } finally {
    process.exit(70);
  }
});

/**
 * @module runtime/python/guest/runner
 * The script a sandboxed Python interpreter process runs (plain JS: the child may read only the
 * Pyodide folder and this folder, so no TypeScript loader). Started by runtime/python/sandbox as
 * `[prlimit] [unshare -n] [setpriv] node --experimental-permission --allow-fs-read=... runner.mjs
 * <pyodideDir> <snapshotFile|--make-snapshot>` with an empty environment (deps.md section 4).
 *
 * Channels: commands arrive over IPC (advanced serialization, so package files travel as bytes and
 * the child never reads host files); everything the child says goes out as newline-delimited JSON
 * on fd 4 with blocking writes, so log lines are in order with results and survive a kill; fd 5
 * carries the host's answers to synchronous calls (urllib.request.urlopen) while Python is running.
 */
import fs from 'node:fs';
import os from 'node:os';

// sandbox.ts passes one glibc tunable (huge pages for malloc, read by the loader at exec); the
// process environment is otherwise empty and stays so.
for (const k of Object.keys(process.env)) delete process.env[k];

const [pyodideDir, snapshotArg] = process.argv.slice(2);
const OUT = 4;
const SYNC_IN = 5;
const here = new URL('.', import.meta.url).pathname;

function writeAll(data) {
  let off = 0;
  while (off < data.length) off += fs.writeSync(OUT, data, off);
}

function emit(msg) {
  writeAll(Buffer.from(JSON.stringify(msg) + '\n'));
}

/** Block until the host writes one newline-terminated JSON answer on fd 5. */
let pending = Buffer.alloc(0);
function readAnswer() {
  const chunk = Buffer.alloc(65536);
  for (;;) {
    const nl = pending.indexOf(10);
    if (nl >= 0) {
      const line = pending.subarray(0, nl).toString('utf8');
      pending = pending.subarray(nl + 1);
      return line;
    }
    const n = fs.readSync(SYNC_IN, chunk);
    if (n === 0) throw new Error('host channel closed');
    pending = Buffer.concat([pending, chunk.subarray(0, n)]);
  }
}

/** The one host capability Python gets: a synchronous call answered by the parent (fetch). */
function hostCall(json) {
  emit({ t: 'call', body: String(json) });
  return readAnswer();
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
  const py = await loadPyodide({
    indexURL: `${pyodideDir}/`,
    _loadSnapshot: snap,
    jsglobals: Object.create(null),
    ...quiet,
  });
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
  const invoke = verge.invoke;
  const init = verge.init;
  process.on('message', (m) => {
    if (m.t === 'init') {
      for (const [name, data] of Object.entries(m.files)) {
        const path = `/var/task/${name}`;
        py.FS.mkdirTree(path.slice(0, path.lastIndexOf('/')));
        py.FS.writeFile(path, data);
      }
      emit({ t: 'init-done', result: init(m.handler, JSON.stringify(m.env)) });
    } else if (m.t === 'invoke') {
      const out = invoke(m.event, JSON.stringify(m.meta));
      // A result line is "R<json>" verbatim; anything else (errors) is a normal JSON message.
      if (out.startsWith('R')) writeAll(Buffer.from(out + '\n'));
      else emit({ t: 'result', result: out });
    } else if (m.t === 'exit') {
      process.exit(0);
    }
  });
  emit({ t: 'ready' });
}

boot().catch((e) => {
  try {
    emit({ t: 'fatal', message: String(e && e.stack ? e.stack : e) });
  } finally {
    process.exit(70);
  }
});

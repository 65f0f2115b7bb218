/**
 * @module test/scenarios/python-hostile.test
 * Hostile Python handlers are contained (issue 6): each probe runs through the FunctionRuntime
 * interface (what `verge invoke` uses) and reports what it could reach; the runaway ones (an
 * endless loop, a handler that never returns, allocating past the memory cap) run through a real
 * edge while other requests keep being served. One function module dispatches on the URI, so one
 * interpreter (plus its replacements) serves the whole file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createFunctionRuntime } from '../../src/runtime/host/index.js';
import { sampleEvent } from '../../src/runtime/host/test-events.js';
import type { FunctionRuntime, LoadedFunction } from '../../src/shared/lambda-edge/index.js';
import { sandboxCaps, sandboxedArgv } from '../../src/runtime/python/sandbox.js';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';
import { needs } from '../harness/needs.js';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { functionErrors, xCache } from './functions-kit.js';
import { hasUnshare, pythonSkipReason } from './python-kit.js';

const skip = pythonSkipReason();

/** The sandbox layers this host does not allow (sandbox.ts): degraded isolation fails under CI. */
function degraded(): string | false {
  const c = sandboxCaps();
  const root = process.getuid?.() === 0;
  const missing = [
    ...(c.unshare ? [] : ['unshare -n (its own network namespace)']),
    ...(c.prlimit ? [] : ['prlimit (the memory cap)']),
    ...(root && !c.setpriv && !c.unshareSetuid ? ['setpriv or unshare -S (a separate uid)'] : []),
  ];
  return missing.length > 0 && `the Python sandbox is degraded here, missing ${missing.join(', ')}`;
}
const MARK = join(tmpdir(), `verge-pwned-${randomUUID()}`);

/** Every probe answers with a generated 200 whose body is the JSON of what it found. */
const HOSTILE = `
import json, os, sys, time

def reply(found):
    return {"status": "200", "body": json.dumps(found)}

def attempt(f):
    try:
        return {"ok": True, "value": repr(f())[:200]}
    except BaseException as e:
        return {"ok": False, "error": type(e).__name__ + ": " + str(e)[:200]}

def handler(event, context):
    uri = event["Records"][0]["cf"]["request"]["uri"]
    if uri == "/ok":
        return event["Records"][0]["cf"]["request"]
    if uri == "/loop":
        while True:
            pass
    if uri == "/hang":
        time.sleep(10**9)
    if uri == "/oom":
        chunks = []
        while True:
            chunks.append(bytearray(1024 * 1024 * 1024))
    if uri == "/js":
        def js_process():
            import js
            return js.process.env
        def pyodide_js_mount():
            import pyodide_js
            return pyodide_js.mountNodeFS("/mnt", "/")
        def function_constructor():
            from pyodide.ffi import to_js
            return to_js({}).constructor.constructor("return process")().env
        def run_js():
            from pyodide.code import run_js
            return run_js("process.env")
        def host_module():
            import _verge_host
            return _verge_host
        return reply({"js": attempt(js_process), "pyodide_js": attempt(pyodide_js_mount),
                      "ctor": attempt(function_constructor), "run_js": attempt(run_js), "host": attempt(host_module)})
    if uri == "/files":
        return reply({
            "passwd": attempt(lambda: open("/etc/passwd").read()),
            "listing": attempt(lambda: os.listdir("/")),
            "proc": attempt(lambda: open("/proc/self/environ").read()),
            "env": sorted(os.environ.keys()),
        })
    if uri == "/processes":
        import subprocess
        return reply({
            "system": attempt(lambda: os.system("touch ${MARK}")),
            "subprocess": attempt(lambda: subprocess.run(["touch", "${MARK}"])),
            "popen": attempt(lambda: os.popen("touch ${MARK}").read()),
            "fork": attempt(lambda: os.fork()),
            "kill": attempt(lambda: os.kill(1, 9)),
        })
    if uri.startswith("/socket/"):
        import socket
        port = int(uri.split("/")[2])
        def connect():
            s = socket.create_connection(("127.0.0.1", port), timeout=1)
            s.sendall(b"hello from python")
            return s.recv(10)
        return reply({"socket": attempt(connect)})
    return reply({"unknown": uri})
`;

function parsedBody(r: Awaited<ReturnType<FunctionRuntime['invoke']>>): Record<string, any> {
  assert.ok(r.ok, JSON.stringify(r));
  return JSON.parse((r.value as { body: string }).body) as Record<string, any>;
}

describe('python hostile handlers through the FunctionRuntime', { skip }, () => {
  let rt: FunctionRuntime;
  let fn: LoadedFunction;
  before(async () => {
    rt = createFunctionRuntime();
    fn = await rt.load(
      {
        id: 'hostile',
        name: 'hostile',
        version: '1',
        runtime: 'python',
        handler: 'index.handler',
        code: { files: { 'index.py': HOSTILE } },
      },
      { eventTypes: ['viewer-request'] },
    );
  });
  after(async () => rt?.close());
  const run = (uri: string) =>
    rt.invoke(fn, { eventType: 'viewer-request', event: sampleEvent('viewer-request', { request: { uri } }) });

  test('import js, pyodide_js, a JsProxy constructor and run_js reach nothing of the host', async () => {
    const found = parsedBody(await run('/js'));
    for (const k of ['js', 'pyodide_js', 'ctor', 'run_js', 'host'])
      assert.equal(found[k].ok, false, `${k}: ${JSON.stringify(found[k])}`);
    assert.match(found.js.error, /ModuleNotFoundError|ImportError/);
    assert.match(found.pyodide_js.error, /ModuleNotFoundError|ImportError/);
  });

  test("open('/etc/passwd') and /proc see no host file; os.environ is the Lambda environment only", async () => {
    const found = parsedBody(await run('/files'));
    assert.equal(found.passwd.ok && /root:/.test(found.passwd.value), false, JSON.stringify(found.passwd));
    assert.equal(found.proc.ok && /PATH=|HOME=/.test(found.proc.value), false, JSON.stringify(found.proc));
    assert.ok(found.listing.ok && !/'work'|'root'|'usr'/.test(found.listing.value), JSON.stringify(found.listing));
    for (const name of found.env as string[])
      assert.match(name, /^(AWS_|LAMBDA_|_HANDLER|TZ|LANG|PYTHONPATH|HOME|USER|PATH|PWD|LOGNAME|_)/);
    assert.ok(
      !(found.env as string[]).some(
        (n) => n in process.env && !/^(AWS_|LAMBDA_|TZ|LANG|HOME|USER|PATH|PWD|LOGNAME|_)/.test(n),
      ),
    );
  });

  test('os.system, subprocess, popen, fork and kill start nothing on the host', async () => {
    const r = await run('/processes');
    const found = parsedBody(r);
    assert.equal(existsSync(MARK), false, 'no command ran on the host');
    for (const k of ['system', 'subprocess', 'popen', 'fork', 'kill'])
      assert.equal(found[k].ok, false, `${k}: ${JSON.stringify(found[k])}`);
    // The interpreter is still alive and serves the next event.
    assert.equal((await run('/ok')).ok, true);
  });

  test(
    'every layer of the sandbox is in place: network namespace, memory cap, a separate uid as root',
    {
      skip: needs(degraded()),
    },
    () => {
      const argv = sandboxedArgv(['-e', '0'], 100).join(' ');
      assert.match(argv, /\bunshare -n\b/);
      assert.match(argv, /\bprlimit --data=104857600\b/);
      if (process.getuid?.() === 0) assert.match(argv, /unshare -n -S 65534 -G 65534|setpriv --reuid=65534/);
    },
  );

  test(
    'raw sockets reach no host port',
    { skip: needs(hasUnshare() ? false : 'unshare -n is not permitted here, so interpreters share the host network') },
    async () => {
      let connections = 0;
      const server: Server = createServer((s) => {
        connections++;
        s.destroy();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const port = (server.address() as { port: number }).port;
        const found = parsedBody(await run(`/socket/${port}`));
        assert.equal(found.socket.ok, false, JSON.stringify(found.socket));
        assert.equal(connections, 0);
      } finally {
        server.close();
      }
    },
  );
});

describe('python runaway handlers through a real edge', { skip }, () => {
  let origin: ScriptedOrigin;
  let te: TestEdge;
  before(async () => {
    origin = await startOrigin({ '*': { status: 200, headers: { 'cache-control': 'no-store' }, body: 'from origin' } });
    te = await startTestEdge({
      configs: [
        distribution(origin.port, {
          defaultCacheBehavior: {
            targetOriginId: 'o1',
            cachePolicy: 'CachingDisabled',
            functionAssociations: [
              { eventType: 'viewer-request', function: { path: './hostile.py', timeoutMs: 4000, concurrency: 3 } },
            ],
          },
        }),
      ],
      files: { 'hostile.py': HOSTILE },
    });
  });
  after(async () => {
    await te?.close();
    await origin?.close();
  });

  for (const [path, reason] of [
    ['/loop', /^LAMBDA_EXECUTION_ERROR: Task timed out after 4\.00 seconds$/],
    ['/hang', /^LAMBDA_EXECUTION_ERROR: Task timed out after 4\.00 seconds$/],
    ['/oom', /^LAMBDA_EXECUTION_ERROR: Runtime exited: out of memory \(128 MB\)$/],
  ] as const) {
    test(`${path} fails with LambdaExecutionError while other requests are served`, async () => {
      const bad = te.get(path);
      const others = [];
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 150));
        others.push(await te.get('/ok'));
      }
      const r = await bad;
      assert.equal(r.status, 503);
      assert.equal(xCache(r), 'LambdaExecutionError');
      for (const o of others) assert.equal(o.status, 200);
      const logged = functionErrors(te).map((e) => String(e.msg));
      assert.ok(
        logged.some((m) => reason.test(m)),
        JSON.stringify(logged),
      );
      // The broken interpreter was replaced: the function still works.
      assert.equal((await te.get('/ok')).status, 200);
    });
  }
});

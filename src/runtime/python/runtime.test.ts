/**
 * @module runtime/python/runtime.test
 * The Python FunctionRuntime through the same interface the edge and `verge invoke` use
 * (createFunctionRuntime routes python sources here): Lambda's context attributes, print and
 * logging capture with redaction, the standard library, os.environ, urlopen performed by the host
 * (with its timeout and HTTP errors), errors and validation identical to JavaScript's, throttling
 * at the concurrency limit, load failures, and zip packages.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync, strToU8 } from 'fflate';
import { createFunctionRuntime } from '../host/index.js';
import { sampleEvent } from '../host/test-events.js';
import { MESSAGES } from '../host/validate.js';
import type {
  CfResponse,
  EventType,
  FunctionRuntime,
  FunctionSource,
  InvokeResult,
  LoadedFunction,
} from '../../shared/lambda-edge/index.js';
import { pythonSkipReason } from '../../../test/scenarios/python-kit.js';

const skip = pythonSkipReason();

const MAIN = `
import base64, datetime, hashlib, hmac, json, logging, os, random, re, time, uuid
import urllib.error, urllib.parse, urllib.request
from http.cookies import SimpleCookie

COUNT = {"n": 0}
log = logging.getLogger("app")

def respond(body):
    return {"status": "200", "headers": {"content-type": [{"value": "application/json"}]}, "body": json.dumps(body)}

def handler(event, context):
    req = event["Records"][0]["cf"]["request"]
    uri = req["uri"]
    COUNT["n"] += 1
    if uri == "/context":
        c = context
        return respond({"function_name": c.function_name, "function_version": c.function_version,
            "invoked_function_arn": c.invoked_function_arn, "memory_limit_in_mb": c.memory_limit_in_mb,
            "aws_request_id": c.aws_request_id, "log_group_name": c.log_group_name,
            "log_stream_name": c.log_stream_name, "remaining": c.get_remaining_time_in_millis(),
            "count": COUNT["n"]})
    if uri == "/logs":
        print("printed", os.environ["API_TOKEN"])
        log.info("info is below the default WARNING level")
        log.warning("warned %s", "here")
        logging.getLogger().error("errored")
        return req
    if uri == "/stdlib":
        jar = SimpleCookie(); jar.load("a=1; b=two")
        return respond({
            "b64": base64.b64encode(b"verge").decode(),
            "sha": hashlib.sha256(b"x").hexdigest()[:8],
            "hmac": hmac.new(b"k", b"m", "sha256").hexdigest()[:8],
            "qs": urllib.parse.parse_qs("a=1&a=2"),
            "re": re.sub(r"\\d", "#", "a1b2"),
            "uuid": len(str(uuid.uuid4())),
            "date": datetime.datetime.fromtimestamp(0, datetime.timezone.utc).isoformat(),
            "random": 0 <= random.random() < 1,
            "time": time.time() > 1.6e9,
            "cookie": jar["b"].value,
            "env": os.environ.get("GREETING"),
        })
    if uri.startswith("/fetch"):
        target = urllib.parse.parse_qs(req["querystring"])["u"][0]
        try:
            with urllib.request.urlopen(target, timeout=float(urllib.parse.parse_qs(req["querystring"]).get("t", ["5"])[0])) as r:
                return respond({"status": r.status, "body": r.read().decode(), "type": r.headers["content-type"]})
        except urllib.error.HTTPError as e:
            return respond({"http_error": e.code})
        except urllib.error.URLError as e:
            return respond({"url_error": str(e.reason)})
    if uri == "/many-calls":
        # The host refuses an ftp: URL before any network work, so the loop costs host round
        # trips only, and the cap is what ends it.
        n = 0
        for _ in range(10002):
            try:
                urllib.request.urlopen("ftp://verge.invalid/", timeout=1)
            except urllib.error.URLError as e:
                if "FUNCTION_HOST_CALL_LIMIT" in str(e.reason):
                    return respond({"refused_after": n, "reason": str(e.reason)})
            n += 1
        return respond({"refused_after": None})
    if uri == "/raise":
        raise ValueError("boom")
    if uri == "/none":
        return None
    if uri == "/upper":
        req["headers"]["X-Upper"] = [{"key": "X-Upper", "value": "1"}]
        return req
    if uri == "/unmarshal":
        return {"status": "200", "body": object()}
    if uri == "/sleep":
        time.sleep(0.6)
        return req
    if uri == "/logflood":
        line = "L" * 10000
        for _ in range(300):
            print(line)
        return req
    return req
`;

const JS_EQUIVALENT = `exports.handler = async (event) => {
  const req = event.Records[0].cf.request;
  if (req.uri === '/none') return null;
  if (req.uri === '/upper') { req.headers['X-Upper'] = [{ key: 'X-Upper', value: '1' }]; return req; }
  return req;
};`;

function source(
  name: string,
  files: Record<string, string | Uint8Array>,
  extra: Partial<FunctionSource> = {},
): FunctionSource {
  return { id: name, name, version: '7', runtime: 'python', handler: 'index.handler', code: { files }, ...extra };
}

describe('python FunctionRuntime', { skip }, () => {
  let rt: FunctionRuntime;
  let fn: LoadedFunction;
  let server: Server;
  let base = '';
  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"from":"host"}');
      } else if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 3000).unref();
      } else {
        res.writeHead(404);
        res.end('nope');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    rt = createFunctionRuntime();
    fn = await rt.load(
      source(
        'main',
        { 'index.py': MAIN },
        {
          env: { API_TOKEN: 's3cr3t-token', GREETING: 'hi' },
          secretNames: ['API_TOKEN'],
          // The test origin is on loopback, which the egress policy refuses unless allowed.
          egress: { allow: ['127.0.0.1'] },
        },
      ),
      { eventTypes: ['viewer-request'] },
    );
  });
  after(async () => {
    await rt?.close();
    server?.closeAllConnections();
    server?.close();
  });

  const run = (uri: string, querystring = '', f = fn, eventType: EventType = 'viewer-request') =>
    rt.invoke(f, { eventType, event: sampleEvent(eventType, { request: { uri, querystring } }) });
  const body = (r: InvokeResult): Record<string, any> => {
    assert.ok(r.ok, JSON.stringify(r));
    return JSON.parse((r.value as { body: string }).body) as Record<string, any>;
  };

  test("context has Lambda's Python attributes; module globals persist between events", async () => {
    const c = body(await run('/context'));
    assert.equal(c.function_name, 'us-east-1.main');
    assert.equal(c.function_version, '7');
    assert.equal(c.invoked_function_arn, 'arn:aws:lambda:us-east-1:000000000000:function:us-east-1.main:7');
    assert.equal(c.memory_limit_in_mb, '128', 'a string, as Lambda reads it from AWS_LAMBDA_FUNCTION_MEMORY_SIZE');
    assert.match(c.aws_request_id, /^[0-9a-f-]{36}$/);
    assert.equal(c.log_group_name, '/aws/lambda/us-east-1.main');
    assert.match(c.log_stream_name, /^\d{4}\/\d{2}\/\d{2}\/\[7\][0-9a-f]{32}$/);
    assert.ok(c.remaining > 0 && c.remaining <= 5000, String(c.remaining));
    const again = body(await run('/context'));
    assert.equal(again.count, c.count + 1);
    assert.notEqual(again.aws_request_id, c.aws_request_id);
  });

  test('a log flood is cut at 1 MB per invocation, with one line saying so (as for JavaScript)', async () => {
    const r = await run('/logflood');
    assert.ok(r.ok, JSON.stringify(r).slice(0, 500));
    const total = r.logs.reduce((a, l) => a + l.message.length, 0);
    assert.ok(total <= 1024 * 1024 + 20_000, `buffered ${total} characters of log`);
    assert.match(r.logs.at(-1)!.message, /^Log output truncated: more than 1048576 characters/);
  });

  test('print and logging are captured with the request id; secrets are redacted', async () => {
    const r = await run('/logs');
    assert.ok(r.ok);
    const lines = r.logs.map((l) => [l.level, l.message]);
    assert.deepEqual(lines, [
      ['log', 'printed ***'],
      ['warn', 'warned here'],
      ['error', 'errored'],
    ]);
    const requestId = sampleEvent('viewer-request').Records[0].cf.config.requestId;
    assert.ok(r.logs.every((l) => l.requestId === requestId));
  });

  test('the standard library edge code uses, and os.environ', async () => {
    assert.deepEqual(body(await run('/stdlib')), {
      b64: 'dmVyZ2U=',
      sha: '2d711642',
      hmac: 'b60090e3',
      qs: { a: ['1', '2'] },
      re: 'a#b#',
      uuid: 36,
      date: '1970-01-01T00:00:00+00:00',
      random: true,
      time: true,
      cookie: 'two',
      env: 'hi',
    });
  });

  test('urllib.request.urlopen is performed by the host: body, HTTP errors, timeouts', async () => {
    const ok = body(await run('/fetch', `u=${encodeURIComponent(base + '/json')}`));
    assert.deepEqual(ok, { status: 200, body: '{"from":"host"}', type: 'application/json' });
    assert.deepEqual(body(await run('/fetch', `u=${encodeURIComponent(base + '/missing')}`)), { http_error: 404 });
    const slow = body(await run('/fetch', `u=${encodeURIComponent(base + '/slow')}&t=0.3`));
    assert.match(slow.url_error, /timed out/);
  });

  test('more than 10,000 urlopen calls in one invocation are refused; the next invocation starts afresh', async () => {
    // origin-request: 30 s, so a loaded machine's slower round trips do not time the loop out.
    const first = body(await run('/many-calls', '', fn, 'origin-request'));
    assert.equal(first.refused_after, 10_000, JSON.stringify(first));
    assert.match(first.reason, /^FUNCTION_HOST_CALL_LIMIT: more than 10000 host calls \(urlopen\)/);
    const second = body(await run('/many-calls', '', fn, 'origin-request'));
    assert.equal(second.refused_after, 10_000, 'the count is per invocation');
  });

  test('errors and validation failures match the JavaScript runtime exactly', async () => {
    const raised = await run('/raise');
    assert.equal(raised.ok, false);
    assert.ok(
      !raised.ok && raised.code === 'LAMBDA_EXECUTION_ERROR' && raised.message === 'ValueError: boom',
      JSON.stringify(raised),
    );
    assert.ok(raised.logs.some((l) => l.level === 'error' && l.message.includes('Traceback')));
    assert.ok(raised.logs.some((l) => l.message === 'Invoke Error: ValueError: boom'));
    const marshal = await run('/unmarshal');
    assert.ok(
      !marshal.ok && marshal.code === 'LAMBDA_EXECUTION_ERROR' && /^Runtime\.MarshalError/.test(marshal.message),
    );
    const js = await rt.load(
      {
        id: 'js-eq',
        name: 'js-eq',
        version: '1',
        runtime: 'nodejs',
        handler: 'index.handler',
        code: { files: { 'index.js': JS_EQUIVALENT } },
      },
      { eventTypes: ['viewer-request'] },
    );
    for (const uri of ['/none', '/upper']) {
      const p = await run(uri);
      const j = await run(uri, '', js);
      assert.equal(p.ok, false, uri);
      assert.ok(!p.ok && !j.ok);
      assert.equal(p.code, 'LAMBDA_VALIDATION_ERROR');
      assert.deepEqual([p.code, p.message], [j.code, j.message], uri);
    }
    const none = await run('/none');
    assert.ok(!none.ok && none.message === MESSAGES.notObject);
  });

  test('past the concurrency limit: LambdaLimitExceeded, like JavaScript', async () => {
    const one = await rt.load(source('one', { 'index.py': MAIN }, { overrides: { concurrency: 1 } }), {
      eventTypes: ['viewer-request'],
    });
    const [a, b] = await Promise.all([run('/sleep', '', one), run('/sleep', '', one)]);
    const results = [a, b].map((r) => (r.ok ? 'ok' : r.code)).sort();
    assert.deepEqual(results, ['LAMBDA_LIMIT_EXCEEDED', 'ok']);
    const throttled = [a, b].find((r) => !r.ok)!;
    assert.ok(
      !throttled.ok &&
        throttled.message === 'Rate Exceeded: 1 concurrent executions of this function are already running',
    );
  });

  test('load failures: missing module, malformed handler, syntax error, oversized package', async () => {
    const load = (s: FunctionSource, events: EventType[] = ['viewer-request']) => rt.load(s, { eventTypes: events });
    await assert.rejects(
      load(source('m', { 'other.py': 'x = 1' })),
      /FUNCTION_LOAD_ERROR|Unable to import module 'index'/,
    );
    await assert.rejects(load(source('h', { 'index.py': MAIN }, { handler: 'index' })), /MalformedHandlerName/);
    await assert.rejects(load(source('s', { 'index.py': 'def handler(:\n' })), /failed to initialize: .*SyntaxError/);
    await assert.rejects(load(source('n', { 'index.py': MAIN }, { handler: 'index.nothere' })), /HandlerNotFound/);
    const big = new Uint8Array(1_100_000).map(() => Math.floor(Math.random() * 256));
    await assert.rejects(
      load(source('b', { 'index.py': MAIN, 'blob.bin': big })),
      /larger than the maximum allowed size/,
    );
  });

  test('any module name importlib accepts; a module with only lambda_handler runs under the default', async () => {
    const dashed = await rt.load(
      source(
        'dash',
        { 'my-func.py': 'def lambda_handler(event, context):\n    return {"status": "200", "body": "dashed"}\n' },
        { handler: 'my-func.lambda_handler' },
      ),
      { eventTypes: ['viewer-request'] },
    );
    const r = await rt.invoke(dashed, { eventType: 'viewer-request', event: sampleEvent('viewer-request') });
    assert.ok(r.ok && (r.value as CfResponse).body === 'dashed', JSON.stringify(r));
    // The Lambda console's entry point, no handler given: the default index.handler finds lambda_handler.
    const byDefault = await rt.load(
      source('lh', {
        'index.py': 'def lambda_handler(event, context):\n    return {"status": "200", "body": "console default"}\n',
      }),
      { eventTypes: ['viewer-request'] },
    );
    const c = await rt.invoke(byDefault, { eventType: 'viewer-request', event: sampleEvent('viewer-request') });
    assert.ok(c.ok && (c.value as CfResponse).body === 'console default', JSON.stringify(c));
    await Promise.all([rt.unload(dashed), rt.unload(byDefault)]);
  });

  test('a zip package with a vendored module and a handler in a sub-folder', async () => {
    const zip = zipSync({
      'src/app.py': strToU8(
        'from vendored.greet import hello\ndef main(event, context):\n    return {"status": "200", "body": hello()}\n',
      ),
      'vendored/__init__.py': strToU8(''),
      'vendored/greet.py': strToU8('def hello():\n    return "hello from a vendored module"\n'),
    });
    const file = join(mkdtempSync(join(tmpdir(), 'verge-py-')), 'fn.zip');
    writeFileSync(file, zip);
    const z = await rt.load(source('zip', {}, { handler: 'src/app.main', code: { path: file } }), {
      eventTypes: ['origin-request'],
    });
    const r = await run('/', '', z, 'origin-request');
    assert.ok(r.ok && (r.value as { body: string }).body === 'hello from a vendored module', JSON.stringify(r));
  });

  test('package files stay intact after large events went through the interpreter', async () => {
    const data = 'line of package data\n'.repeat(200);
    const f = await rt.load(
      source('files', {
        'index.py':
          'def handler(event, context):\n    return {"status": "200", "body": open("/var/task/data.txt").read()}\n',
        'data.txt': data,
      }),
      { eventTypes: ['viewer-request'] },
    );
    // Events larger than the package itself pass through the interpreter's read buffer first.
    for (let i = 0; i < 3; i++) assert.ok((await run('/', `q=${'x'.repeat(8000)}`, f)).ok);
    const r = await run('/', '', f);
    assert.ok(r.ok && (r.value as { body: string }).body === data, 'data.txt as packaged');
  });
});

/**
 * The deploy gate (issue 10, item 1): create, update-code, publish and attach load the code on
 * the control plane's copy of the edge engine first. A syntax error, a missing handler export
 * and a Python import error are refused at each step through the API (400
 * FUNCTION_CODE_INVALID with file, line and column) and the CLI (exit 1, the same message), and
 * nothing is stored, published, attached or snapshotted. Before the gate all of these were
 * accepted and failed only on the PoPs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { distribution, startTestControl, type TestControl } from '../../src/control/testing/harness.js';
import { runVerge } from '../harness/cli.js';

const GOOD_JS = `exports.handler = async (event) => event.Records[0].cf.request;\n`;
const SYNTAX_JS = `exports.handler = async (event) => {\n  const r = event.Records[0].cf.request;\n  let x = ;\n  return r;\n};\n`;
const NO_EXPORT_JS = `exports.other = async (event) => event.Records[0].cf.request;\n`;
const GOOD_PY = `def handler(event, context):\n    return event["Records"][0]["cf"]["request"]\n`;
const IMPORT_PY = `import json\nimport no_such_module_here\n\ndef handler(event, context):\n    return event["Records"][0]["cf"]["request"]\n`;
const CFF_SYNTAX = `function handler(event) {\n  var r = event.request\n  var = 1;\n  return r;\n}\n`;

describe('the deploy gate refuses code that does not load', () => {
  let t: TestControl;
  const api = (method: string, path: string, body?: unknown) => t.api(method, path, body);
  const latestSnapshot = async () => ((await api('GET', '/deployments?limit=1')).body.items[0]?.version ?? 0) as number;

  before(async () => {
    t = await startTestControl();
    assert.equal((await api('POST', '/distributions', distribution('demo'))).status, 201);
  });
  after(() => t?.close());

  function refused(r: { status: number; body: any; text: string }, file: string, line: number, text: RegExp) {
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.code, 'FUNCTION_CODE_INVALID', r.text);
    assert.equal(r.body.error.details.file, file, r.text);
    assert.equal(r.body.error.details.line, line, r.text);
    assert.match(r.body.error.message, text);
    assert.match(r.body.error.message, new RegExp(`${file.replace('.', '\\.')}:${line}`));
  }

  test('create: a syntax error, a missing handler export and a Python import error are refused with the line; nothing is stored', async () => {
    const syntax = await api('POST', '/functions', {
      name: 'bad-syntax',
      runtime: 'nodejs',
      code: { source: SYNTAX_JS },
    });
    refused(syntax, 'index.js', 3, /Unexpected ";"/);
    assert.equal(syntax.body.error.details.column, 11);

    const noExport = await api('POST', '/functions', {
      name: 'no-export',
      runtime: 'nodejs',
      code: { source: NO_EXPORT_JS },
    });
    assert.equal(noExport.status, 400, noExport.text);
    assert.equal(noExport.body.error.code, 'FUNCTION_CODE_INVALID');
    assert.match(noExport.body.error.message, /index\.handler is undefined or not exported/);

    const py = await api('POST', '/functions', { name: 'py-import', runtime: 'python', code: { source: IMPORT_PY } });
    refused(py, 'index.py', 2, /No module named 'no_such_module_here'/);

    const cff = await api('POST', '/functions', {
      name: 'cff-bad',
      runtime: 'cloudfront-js-2.0',
      code: { source: CFF_SYNTAX },
    });
    refused(cff, 'index.js', 3, /Expected identifier/);

    for (const name of ['bad-syntax', 'no-export', 'py-import', 'cff-bad'])
      assert.equal((await api('GET', `/functions/${name}`)).status, 404, `${name} must not exist`);
  });

  test("cloudfront-js-1.0: syntax only 2.0 has is refused at create and update-code with CloudFront's message", async () => {
    const CFF1_CONST = `function handler(event) {\n  var request = event.request;\n  const uri = request.uri;\n  return request;\n}\n`;
    const c = await api('POST', '/functions', {
      name: 'cff-one',
      runtime: 'cloudfront-js-1.0',
      code: { source: CFF1_CONST },
    });
    refused(
      c,
      'index.js',
      3,
      /SyntaxError: Token "const" not supported in this version \(cloudfront-js-1\.0: declare it with var/,
    );
    assert.equal(c.body.error.details.column, 3);
    assert.equal((await api('GET', '/functions/cff-one')).status, 404);
    const two = await api('POST', '/functions', {
      name: 'cff-two',
      runtime: 'cloudfront-js-2.0',
      code: { source: CFF1_CONST },
    });
    assert.equal(two.status, 201, two.text);
    const one = await api('POST', '/functions', {
      name: 'cff-one',
      runtime: 'cloudfront-js-1.0',
      code: { source: CFF1_CONST.replace('const', 'var') },
    });
    assert.equal(one.status, 201, one.text);
    const upd = await api('PUT', '/functions/cff-one/code', {
      code: { source: `var f = async () => 1;\n${CFF1_CONST}` },
    });
    refused(upd, 'index.js', 1, /Token "async" not supported in this version/);
  });

  test('update-code: the old $LATEST stays when the new code is refused', async () => {
    const c = await api('POST', '/functions', { name: 'edge-py', runtime: 'python', code: { source: GOOD_PY } });
    assert.equal(c.status, 201, c.text);
    const r = await api('PUT', '/functions/edge-py/code', { code: { source: IMPORT_PY } });
    refused(r, 'index.py', 2, /No module named/);
    const after = await api('GET', '/functions/edge-py');
    assert.equal(after.body.codeSha256, c.body.codeSha256);
    assert.equal(after.body.etag, c.body.etag);
  });

  test('publish: $LATEST whose handler was changed to a missing export is not published; a working one is', async () => {
    assert.equal(
      (await api('POST', '/functions', { name: 'pub', runtime: 'nodejs', code: { source: GOOD_JS } })).status,
      201,
    );
    assert.equal((await api('PATCH', '/functions/pub', { handler: 'index.nothere' })).status, 200);
    const r = await api('POST', '/functions/pub/publish', {});
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.code, 'FUNCTION_CODE_INVALID');
    assert.match(r.body.error.message, /index\.nothere is undefined or not exported/);
    assert.equal((await api('GET', '/functions/pub/versions')).body.items.length, 0);
    assert.equal((await api('PATCH', '/functions/pub', { handler: 'index.handler' })).status, 200);
    assert.equal((await api('POST', '/functions/pub/publish', {})).status, 201);
  });

  test('attach: a version that cannot load for the event is not attached and makes no snapshot', async () => {
    // 1024 MB is fine for origin events and over the 128 MB viewer events allow (spec 4.1).
    const c = await api('POST', '/functions', {
      name: 'big',
      runtime: 'nodejs',
      memoryMB: 1024,
      code: { source: GOOD_JS },
    });
    assert.equal(c.status, 201, c.text);
    assert.equal((await api('POST', '/functions/big/publish', {})).status, 201);
    const before = await latestSnapshot();
    const r = await api('POST', '/triggers', {
      distributionId: 'demo',
      behavior: 'default',
      eventType: 'viewer-request',
      function: 'big:1',
    });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.code, 'FUNCTION_CODE_INVALID');
    assert.match(r.body.error.message, /memoryMB 1024 is outside .* for viewer-request/);
    assert.equal((await api('GET', '/triggers?distributionId=demo')).body.items.length, 0);
    assert.equal(await latestSnapshot(), before);
    const ok = await api('POST', '/triggers', {
      distributionId: 'demo',
      behavior: 'default',
      eventType: 'origin-request',
      function: 'big:1',
    });
    assert.equal(ok.status, 201, ok.text);
  });

  test('a pass is remembered under one key: publish after create, and attach for the same event, load nothing', async () => {
    const gate = t.control.app.gate;
    const loads = gate.loads;
    const c = await api('POST', '/functions', {
      name: 'memo',
      runtime: 'nodejs',
      env: { A: '1' },
      code: { source: GOOD_JS },
    });
    assert.equal(c.status, 201, c.text);
    assert.equal(gate.loads, loads + 1, 'create loads');
    assert.equal((await api('POST', '/functions/memo/publish')).status, 201);
    assert.equal(gate.loads, loads + 1, 'publish loads nothing: the same code and settings passed at create');
    const on = (eventType: string) => ({ distributionId: 'demo', behavior: 'default', eventType, function: 'memo:1' });
    assert.equal((await api('POST', '/triggers', on('origin-request'))).status, 201);
    assert.equal(
      gate.loads,
      loads + 1,
      "attach for the event publish checked loads nothing: the version's settings key alike",
    );
    assert.equal((await api('POST', '/triggers', on('viewer-request'))).status, 201);
    assert.equal(gate.loads, loads + 2, "another event's limits are loaded for");
    assert.equal((await api('PATCH', '/functions/memo', { env: { A: '2' } })).status, 200);
    assert.equal((await api('POST', '/functions/memo/publish')).status, 201);
    assert.equal(gate.loads, loads + 3, 'other settings are another key');
  });

  test('the CLI prints the file and line and exits 1 at create, update-code and publish', async () => {
    const dir = join(t.dir, 'cli');
    mkdirSync(dir, { recursive: true });
    const file = (name: string, text: string) => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    };
    const o = { url: t.control.url, token: t.adminToken, dir: t.dir };
    const bad = await runVerge(['functions', 'create', 'cli-bad', '--code', file('bad.js', SYNTAX_JS), '--publish'], o);
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.match(bad.stderr, /FUNCTION_CODE_INVALID/);
    assert.match(bad.stderr, /bad\.js:3:11: Unexpected ";"/);
    // Nothing was stored, so the next step is create again, not update-code.
    assert.match(bad.stderr, /upload it again \(verge functions create cli-bad --code FILE\)/);
    assert.equal((await api('GET', '/functions/cli-bad')).status, 404);

    const good = await runVerge(['functions', 'create', 'cli-py', '--code', file('ok.py', GOOD_PY)], o);
    assert.equal(good.code, 0, good.stdout + good.stderr);
    const upd = await runVerge(
      ['functions', 'update-code', 'cli-py', '--code', file('ok.py', IMPORT_PY), '--publish'],
      o,
    );
    assert.equal(upd.code, 1, upd.stdout + upd.stderr);
    assert.match(upd.stderr, /ok\.py:2: .*No module named 'no_such_module_here'/);
    assert.match(upd.stderr, /upload it again \(verge functions update-code cli-py --code FILE\)/);
    assert.equal((await api('GET', '/functions/cli-py/versions')).body.items.length, 0);

    const upd2 = await runVerge(['functions', 'update', 'cli-py', '--handler', 'ok.missing'], o);
    assert.equal(upd2.code, 0, upd2.stdout + upd2.stderr);
    const pub = await runVerge(['functions', 'publish', 'cli-py'], o);
    assert.equal(pub.code, 1, pub.stdout + pub.stderr);
    assert.match(pub.stderr, /Handler 'missing' missing on module 'ok'/);
  });
});

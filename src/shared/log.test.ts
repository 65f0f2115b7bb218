/**
 * The JSON logger (pino underneath): one object a line with `time` (ISO 8601), `level` (its
 * name), `msg`, the base and child fields and the call's fields; levels below the minimum are
 * dropped; and a process that logs and exits at once loses no line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createLogger } from './log.js';

test('a line is one JSON object: time, level, msg, base, child and call fields', () => {
  const lines: string[] = [];
  const log = createLogger({ level: 'info', base: { pop: 'p1' }, write: (l) => lines.push(l) });
  log.log('debug', 'dropped');
  log.child({ distributionId: 'd1' }).log('warn', 'origin slow', { ms: 250, nested: { a: [1] } });
  log.log('error', 'boom');
  assert.equal(lines.length, 2);
  assert.ok(lines.every((l) => !l.includes('\n')));
  const first = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.deepEqual(
    { ...first, time: undefined },
    {
      time: undefined,
      level: 'warn',
      msg: 'origin slow',
      pop: 'p1',
      distributionId: 'd1',
      ms: 250,
      nested: { a: [1] },
    },
  );
  assert.equal(new Date(first.time as string).toISOString(), first.time);
  assert.match(lines[1]!, /"level":"error"/); // what `verge up` looks for to echo a control-plane line
  assert.deepEqual(Object.keys(JSON.parse(lines[1]!) as object).sort(), ['level', 'msg', 'pop', 'time']);
});

test('a process that logs to stderr and exits at once loses no line', () => {
  const log = fileURLToPath(new URL('./log.ts', import.meta.url));
  const script = `
    const { createLogger } = await import(${JSON.stringify(log)});
    const l = createLogger();
    for (let i = 0; i < 5000; i++) l.log('info', 'line ' + i, { i, pad: 'x'.repeat(100) });
    process.exit(3);
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  assert.equal(r.status, 3, r.stderr.slice(0, 500));
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 5000);
  assert.equal((JSON.parse(lines.at(-1)!) as { i: number }).i, 4999);
});

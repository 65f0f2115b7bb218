// A node:test reporter for scripts/test.mjs, beside the human-readable spec reporter: one JSON
// line per finished test, appended synchronously to the file named by VERGE_TEST_COUNT_FILE (the
// reporter's own destination is a stream that --test-force-exit can cut short). scripts/test.mjs
// reads the lines and counts the tests that ran, the skipped ones with their reasons, and the
// files that define no test.
import { appendFileSync } from 'node:fs';

export default async function* countReporter(source) {
  const out = process.env.VERGE_TEST_COUNT_FILE;
  for await (const event of source) {
    if (!out || (event.type !== 'test:pass' && event.type !== 'test:fail')) continue;
    const d = event.data;
    const line = {
      ok: event.type === 'test:pass',
      file: d.file ?? '(unknown file)',
      name: d.name,
      // The runner's wrapper for a whole file carries the file's path as its name.
      wrapper: d.name === d.file,
      suite: d.details?.type === 'suite',
      skip: d.skip === undefined || d.skip === false ? null : typeof d.skip === 'string' ? d.skip : '',
      todo: d.todo !== undefined && d.todo !== false,
    };
    appendFileSync(out, JSON.stringify(line) + '\n');
  }
  yield '';
}

// `verge edge --control`: one URL, or several replicas' URLs separated by commas; anything else
// is a usage error that shows the expected form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from './args.js';
import { controlUrls } from './edge-options.js';

test('--control takes one URL or several separated by commas', () => {
  assert.deepEqual(controlUrls('http://a:8080'), ['http://a:8080']);
  assert.deepEqual(controlUrls('http://a:8080, https://b.internal/'), ['http://a:8080', 'https://b.internal/']);
  for (const bad of ['a:8080', 'http://a:8080,', 'http://a:8080,,http://b:8080', 'nats://a:4222'])
    assert.throws(() => controlUrls(bad), (e: unknown) => e instanceof UsageError && /separated by commas/.test(e.message), bad); // prettier-ignore
});

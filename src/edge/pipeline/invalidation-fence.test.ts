/**
 * @module edge/pipeline/invalidation-fence.test
 * The fence's epochs: a fetch started before a matching invalidation is not kept; one started
 * after it, or covered by a non-matching one, is; a fetch older than the remembered window is
 * not kept.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidationFence } from './invalidation-fence.js';

const entry = (invalidationPath: string, tags: string[] = []) => ({ distributionId: 'd', invalidationPath, tags });

describe('InvalidationFence', () => {
  test('a matching invalidation after the fetch started fences it; a later fetch is free', () => {
    const f = new InvalidationFence();
    const started = f.epoch;
    assert.equal(f.invalidatedSince(started, entry('/a')), false);
    f.record({ distributionId: 'd', paths: ['/a'], tags: [] });
    assert.equal(f.invalidatedSince(started, entry('/a')), true);
    assert.equal(f.invalidatedSince(f.epoch, entry('/a')), false);
  });

  test('non-matching paths, tags and distributions do not fence', () => {
    const f = new InvalidationFence();
    const started = f.epoch;
    f.record({ distributionId: 'd', paths: ['/img/*'], tags: ['t1'] });
    f.record({ distributionId: 'other', paths: ['/*'], tags: [] });
    assert.equal(f.invalidatedSince(started, entry('/css/a.css')), false);
    assert.equal(f.invalidatedSince(started, entry('/img/x.png')), true);
    assert.equal(f.invalidatedSince(started, entry('/z', ['t1'])), true);
  });

  test('a fetch older than the remembered window is fenced', () => {
    const f = new InvalidationFence();
    const started = f.epoch;
    for (let i = 0; i < 300; i++) f.record({ distributionId: 'd', paths: [`/p${i}`], tags: [] });
    assert.equal(f.invalidatedSince(started, entry('/unrelated')), true);
    const recent = f.epoch - 10;
    assert.equal(f.invalidatedSince(recent, entry('/unrelated')), false);
  });
});

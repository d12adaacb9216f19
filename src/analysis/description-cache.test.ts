import assert from 'node:assert/strict';
import { test } from 'node:test';
import { descriptionKey, MemoryDescriptionCache, TieredDescriptionCache } from './description-cache.ts';

const d = (text: string) => ({ text, model: 'm' });

test('memory cache evicts the least recently used beyond its capacity', async () => {
  const cache = new MemoryDescriptionCache(2);
  await cache.set('a', d('A'));
  await cache.set('b', d('B'));
  assert.deepEqual(await cache.get('a'), d('A')); // a is now the most recent
  await cache.set('c', d('C'));
  assert.equal(await cache.get('b'), undefined);
  assert.deepEqual(await cache.get('a'), d('A'));
  assert.deepEqual(await cache.get('c'), d('C'));
  assert.equal(cache.size, 2);
});

test('capacity 0 keeps nothing', async () => {
  const cache = new MemoryDescriptionCache(0);
  await cache.set('a', d('A'));
  assert.equal(await cache.get('a'), undefined);
});

test('keys differ by image, model and prompt', () => {
  const base = descriptionKey('abc', 'm', 'p');
  assert.match(base, /^[0-9a-f]{64}$/);
  assert.notEqual(descriptionKey('abd', 'm', 'p'), base);
  assert.notEqual(descriptionKey('abc', 'n', 'p'), base);
  assert.notEqual(descriptionKey('abc', 'm', 'q'), base);
  assert.equal(descriptionKey('abc', 'm', 'p'), base);
  // Detail: unset and `auto` are one; `low` and `high` each their own.
  assert.equal(descriptionKey('abc', 'm', 'p', 'auto'), base);
  const low = descriptionKey('abc', 'm', 'p', 'low');
  const high = descriptionKey('abc', 'm', 'p', 'high');
  assert.equal(new Set([base, low, high]).size, 3);
});

test('tiered: a far hit is copied near; writes go to both', async () => {
  const near = new MemoryDescriptionCache(10);
  const far = new MemoryDescriptionCache(10);
  const tiered = new TieredDescriptionCache(near, far);
  await far.set('k', d('K'));
  assert.equal(await near.get('k'), undefined);
  assert.deepEqual(await tiered.get('k'), d('K'));
  assert.deepEqual(await near.get('k'), d('K'));
  await tiered.set('j', d('J'));
  assert.deepEqual(await far.get('j'), d('J'));
});

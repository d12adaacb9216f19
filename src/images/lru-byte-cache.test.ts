import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freshnessMs } from './cache-control.ts';
import { LruByteCache } from './lru-byte-cache.ts';

test('LRU evicts the least recently used past its byte bound', () => {
  const cache = new LruByteCache<string>(100);
  cache.set('a', 'A', 25);
  cache.set('b', 'B', 25);
  cache.set('c', 'C', 25);
  assert.equal(cache.get('a'), 'A'); // a is now the most recent
  cache.set('d', 'D', 25);
  cache.set('e', 'E', 25);
  assert.equal(cache.get('b'), undefined);
  assert.deepEqual([cache.get('a'), cache.get('c'), cache.get('d'), cache.get('e')], ['A', 'C', 'D', 'E']);
  assert.equal(cache.bytes, 100);
  cache.set('huge', 'H', 26); // over a quarter: not kept
  assert.equal(cache.get('huge'), undefined);
});

test('entries expire and TTL 0 is not stored', () => {
  let now = 1000;
  const cache = new LruByteCache<string>(100, () => now);
  cache.set('a', 'A', 10, 500);
  cache.set('z', 'Z', 10, 0);
  assert.equal(cache.get('z'), undefined);
  now = 1499;
  assert.equal(cache.get('a'), 'A');
  now = 1500;
  assert.equal(cache.get('a'), undefined);
  assert.equal(cache.bytes, 0);
});

test('Cache-Control freshness', () => {
  assert.equal(freshnessMs({ 'cache-control': 'public, max-age=60' }, 5), 60_000);
  assert.equal(freshnessMs({ 'cache-control': 'max-age=60, s-maxage=10' }, 5), 10_000);
  assert.equal(freshnessMs({ 'cache-control': 'no-store' }, 5), 0);
  assert.equal(freshnessMs({ 'cache-control': 'no-cache, max-age=60' }, 5), 0);
  assert.equal(freshnessMs({ expires: 'Thu, 01 Jan 2037 00:01:00 GMT', date: 'Thu, 01 Jan 2037 00:00:00 GMT' }, 5), 60_000);
  assert.equal(freshnessMs({ expires: '0' }, 5), 0);
  assert.equal(freshnessMs({}, 5), 5);
});

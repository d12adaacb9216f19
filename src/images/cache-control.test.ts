import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freshnessMs } from './cache-control.ts';

const now = Date.parse('2024-01-01T00:00:00Z');

test('max-age and s-maxage give the freshness; s-maxage first', () => {
  assert.equal(freshnessMs({ 'cache-control': 'max-age=60' }, 5, now), 60_000);
  assert.equal(freshnessMs({ 'cache-control': 'public, max-age=60, s-maxage=10' }, 5, now), 10_000);
  assert.equal(freshnessMs({ 'cache-control': 'max-age="30"' }, 5, now), 30_000);
});

test('no-store and no-cache are not cached', () => {
  assert.equal(freshnessMs({ 'cache-control': 'max-age=60, no-store' }, 5, now), 0);
  assert.equal(freshnessMs({ 'cache-control': ['max-age=60', 'no-cache'] }, 5, now), 0);
});

test('private is not cached: the cache is shared by every client of Iris (RFC 9111 §5.2.2.7)', () => {
  assert.equal(freshnessMs({ 'cache-control': 'private, max-age=600' }, 5, now), 0);
  assert.equal(freshnessMs({ 'cache-control': 'PRIVATE="set-cookie"' }, 5, now), 0);
});

test('Expires against Date; an invalid Expires is already stale; else the default', () => {
  assert.equal(freshnessMs({ expires: 'Mon, 01 Jan 2024 00:01:00 GMT', date: 'Mon, 01 Jan 2024 00:00:00 GMT' }, 5, now + 999_999), 60_000);
  assert.equal(freshnessMs({ expires: '0' }, 5, now), 0);
  assert.equal(freshnessMs({ expires: 'Sun, 31 Dec 2023 00:00:00 GMT' }, 5, now), 0);
  assert.equal(freshnessMs({}, 5, now), 5);
  assert.equal(freshnessMs({ 'cache-control': 'max-age=abc' }, 5, now), 5);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RawBody } from './raw-body.ts';

const body = () => Buffer.alloc(64 * 1024, 7);

test('RawBody: freed only when the request and every writer have let go', () => {
  const bytes = body();
  const raw = new RawBody(bytes);
  const first = raw.hold();
  const second = raw.hold();
  assert.ok(first && second);
  raw.release();
  first();
  assert.equal(raw.freed, false);
  assert.equal(bytes.length, 64 * 1024);
  second();
  assert.equal(raw.freed, true);
  assert.equal(bytes.length, 0);
});

test('RawBody: each release counts once, and a freed body cannot be held again', () => {
  const bytes = body();
  const raw = new RawBody(bytes);
  const writer = raw.hold();
  assert.ok(writer);
  writer();
  writer(); // a second call must not drop the request's own hold
  assert.equal(raw.freed, false);
  raw.release();
  raw.release();
  assert.equal(raw.freed, true);
  assert.equal(raw.hold(), null);
});

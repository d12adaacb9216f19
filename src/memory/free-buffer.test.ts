import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FREE_MIN_BYTES, freeBuffer, ownsMemory } from './free-buffer.ts';

test('freeBuffer: a large buffer that is all of its memory is freed at once (process arrayBuffers drop)', () => {
  const size = 8 * 1024 * 1024;
  const before = process.memoryUsage().arrayBuffers;
  const buf = Buffer.alloc(size, 1);
  const view = buf.subarray(10, 20);
  assert.ok(process.memoryUsage().arrayBuffers - before >= size);
  freeBuffer(buf);
  assert.equal(buf.length, 0);
  assert.equal(view.length, 0, 'views of freed memory read as empty, not as freed bytes');
  assert.ok(process.memoryUsage().arrayBuffers - before < size / 2);
  freeBuffer(buf); // a second free does nothing
});

test('freeBuffer: views, pooled slices and small buffers are left to the collector', () => {
  const big = Buffer.alloc(4 * FREE_MIN_BYTES, 2);
  const view = big.subarray(0, 2 * FREE_MIN_BYTES);
  assert.equal(ownsMemory(view), false);
  freeBuffer(view);
  assert.equal(big.length, 4 * FREE_MIN_BYTES);
  assert.equal(big[0], 2);

  const pooled = Buffer.from('short'); // a slice of Node's shared 8 KiB pool
  assert.equal(ownsMemory(pooled), false);
  freeBuffer(pooled);
  assert.equal(pooled.toString(), 'short');

  const small = Buffer.alloc(FREE_MIN_BYTES - 1);
  assert.equal(ownsMemory(small), true);
  freeBuffer(small);
  assert.equal(small.length, FREE_MIN_BYTES - 1);
});

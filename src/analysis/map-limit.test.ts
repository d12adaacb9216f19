import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { mapLimit } from './map-limit.ts';

test('keeps order and never runs more than the limit at once', async () => {
  let running = 0;
  let peak = 0;
  const out = await mapLimit([30, 5, 20, 1, 10, 2], 3, async (ms, i) => {
    running++;
    peak = Math.max(peak, running);
    await sleep(ms);
    running--;
    return i * 10;
  });
  assert.deepEqual(out, [0, 10, 20, 30, 40, 50]);
  assert.equal(peak, 3);
});

test('empty input, and a failure rejects', async () => {
  assert.deepEqual(await mapLimit([], 4, async () => 1), []);
  await assert.rejects(mapLimit([1, 2], 2, async (n) => { if (n === 2) throw new Error('boom'); return n; }), /boom/);
});

test('after a failure no further item is started (the request has already failed)', async () => {
  const started: number[] = [];
  await assert.rejects(
    mapLimit([0, 1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      if (n === 0) throw new Error('boom');
      await sleep(5);
      return n;
    }),
    /boom/,
  );
  await sleep(50);
  // 0 fails at once; 1 was already running beside it; nothing after.
  assert.deepEqual(started, [0, 1]);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TransformSlots } from './transform-slots.ts';

test('a request already gone starts no re-encode, though a slot is free', async () => {
  const slots = new TransformSlots(1, 1000);
  const controller = new AbortController();
  controller.abort(new Error('gone'));
  let ran = false;
  await assert.rejects(slots.run(async () => { ran = true; }, controller.signal), /gone/);
  assert.equal(ran, false);
  assert.equal(await slots.run(async () => 'next'), 'next');
});

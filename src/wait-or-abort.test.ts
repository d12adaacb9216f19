import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitOrAbort } from './wait-or-abort.ts';

test("the promise's outcome while the signal holds", async () => {
  assert.equal(await waitOrAbort(Promise.resolve(7), new AbortController().signal), 7);
  await assert.rejects(waitOrAbort(Promise.reject(new Error('no')), new AbortController().signal), /no/);
});

test("the signal's reason at once when it aborts first, or had already", async () => {
  const controller = new AbortController();
  const never = new Promise<number>(() => {});
  const waiting = waitOrAbort(never, controller.signal);
  controller.abort(new Error('gone'));
  await assert.rejects(waiting, /gone/);
  await assert.rejects(waitOrAbort(Promise.resolve(1), controller.signal), /gone/);
  // A promise that fails after its waiter gave up is not an unhandled rejection (that would end the process).
  await assert.rejects(waitOrAbort(Promise.reject(new Error('late')), controller.signal), /gone/);
  await new Promise((resolve) => setImmediate(resolve));
});

test('no listener is left on the signal once the promise settles', async () => {
  const controller = new AbortController();
  let listeners = 0;
  const { addEventListener, removeEventListener } = controller.signal;
  controller.signal.addEventListener = (...args: Parameters<typeof addEventListener>) => (listeners++, addEventListener.apply(controller.signal, args));
  controller.signal.removeEventListener = (...args: Parameters<typeof removeEventListener>) => (listeners--, removeEventListener.apply(controller.signal, args));
  for (let i = 0; i < 3; i++) await waitOrAbort(Promise.resolve(i), controller.signal);
  await new Promise((resolve) => setImmediate(resolve)); // the last one lets go just after it settles
  assert.equal(listeners, 0);
});

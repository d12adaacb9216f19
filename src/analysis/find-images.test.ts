import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatCompletionRequest } from '../openai/types.ts';
import { findImages, hasImages } from './find-images.ts';

const img = (url: string) => ({ type: 'image_url' as const, image_url: { url } });

test('finds every image with its path, number and the question beside it', () => {
  const request: ChatCompletionRequest = {
    model: 'm',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'Compare' }, img('data:a'), { type: 'text', text: 'and' }, img('data:b')] },
      { role: 'assistant', content: 'ok' },
      { role: 'user', content: [img('data:c')] },
      { role: 'assistant', content: 'which?' },
      { role: 'user', content: 'The third one: what colour is it?' },
    ],
  };
  const found = findImages(request);
  assert.deepEqual(
    found.map((f) => [f.number, f.param, f.url, f.question]),
    [
      [1, 'messages[1].content[1].image_url.url', 'data:a', 'Compare\nand'],
      [2, 'messages[1].content[3].image_url.url', 'data:b', 'Compare\nand'],
      // An image alone in its message, answered before any text came: no question (a later
      // turn's text would change its prompt, and miss the cache, each time the history is resent).
      [3, 'messages[3].content[0].image_url.url', 'data:c', ''],
    ],
  );
  assert.equal(hasImages(request), true);
  assert.equal(hasImages({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }), false);
});

test('an image alone in its message takes the user text that follows it in the same turn, and keeps it in later turns', () => {
  const turn1 = [
    { role: 'user' as const, content: [img('data:x')] },
    { role: 'user' as const, content: 'What is the total?' },
  ];
  const [alone] = findImages({ model: 'm', messages: turn1 });
  assert.equal(alone.question, 'What is the total?');
  const [later] = findImages({ model: 'm', messages: [...turn1, { role: 'assistant', content: '42' }, { role: 'user', content: 'And the tax?' }] });
  assert.equal(later.question, 'What is the total?');
  const [unasked] = findImages({ model: 'm', messages: [turn1[0], { role: 'assistant', content: 'A receipt.' }, { role: 'user', content: 'And the tax?' }] });
  assert.equal(unasked.question, '', 'not from a later turn');
});

test('the question does not change when later turns are added to a message that has text', () => {
  const turn1 = { role: 'user' as const, content: [{ type: 'text' as const, text: 'Read it' }, img('data:x')] };
  const a = findImages({ model: 'm', messages: [turn1] });
  const b = findImages({ model: 'm', messages: [turn1, { role: 'assistant', content: 'done' }, { role: 'user', content: 'Now translate it' }] });
  assert.equal(a[0].question, b[0].question);
});

test('a long message is cut for the question: its start and its end, not the whole text per image', () => {
  const pasted = `Here is our contract. ${'Clause text. '.repeat(20_000)}Which clause does the stamp in the photo refer to?`;
  const [found] = findImages({ model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: pasted }, img('data:x')] }] });
  assert.ok(found.question.length <= 2100, `${found.question.length} chars`);
  assert.ok(found.question.startsWith('Here is our contract.'));
  assert.ok(found.question.endsWith('Which clause does the stamp in the photo refer to?'));
  assert.match(found.question, /…/);
});

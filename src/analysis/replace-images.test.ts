import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatCompletionRequest } from '../openai/types.ts';
import { findImages } from './find-images.ts';
import { replaceImages } from './replace-images.ts';

test('each image part becomes a text part in place; nothing else changes', () => {
  const request: ChatCompletionRequest = {
    model: 'm',
    temperature: 0.2,
    messages: [
      { role: 'system', content: 'sys' },
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:1' } }, { type: 'text', text: 'q' }, { type: 'image_url', image_url: { url: 'data:2', detail: 'low' } }] },
    ],
  };
  const images = findImages(request);
  const out = replaceImages(request, images, [
    { kind: 'described', text: '  A cat.\n', model: 'vis' },
    { kind: 'failed', reason: 'timed out after 5 ms', model: 'vis' },
  ]);
  assert.equal(out.temperature, 0.2);
  assert.equal(out.messages[0], request.messages[0]);
  assert.deepEqual(out.messages[1].content, [
    { type: 'text', text: '[Image 1: description by vis, standing in for the image]\nA cat.\n[End of image 1 description]' },
    { type: 'text', text: 'q' },
    { type: 'text', text: '[Image 2 could not be analysed by vis (timed out after 5 ms); its content is unknown.]' },
  ]);
  // The input is untouched (it is the client's request).
  assert.equal((request.messages[1].content as { type: string }[])[0].type, 'image_url');
});

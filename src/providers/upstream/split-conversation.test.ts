import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiError } from '../../openai/api-error.ts';
import { splitConversation, type TurnItems } from './split-conversation.ts';

// Items as plain strings, so what the walker did shows in one readable value.
const asText: TurnItems<string> = {
  text: (text) => `text:${text}`,
  image: (url, param) => `image:${url}@${param}`,
  toolCall: (call, args, k) => `call${k}:${call.function.name}(${JSON.stringify(args)})`,
  toolResult: (result) => `result:${result.name ?? '?'}=${result.text}`,
};

test('system text goes apart, same-role turns merge, tool results are user turns naming their call', () => {
  const out = splitConversation([
    { role: 'system', content: 'Be brief.' },
    { role: 'developer', content: [{ type: 'text', text: 'Use metres.' }] },
    { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AA==' } }] },
    { role: 'user', content: '' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'look', arguments: '{"x":1}' } }] },
    { role: 'tool', tool_call_id: 'c1', content: 'a cat' },
    { role: 'user', content: 'And now?' },
  ], 'Test', asText);
  assert.deepEqual(out.system, ['Be brief.', 'Use metres.']);
  assert.deepEqual(out.turns, [
    { role: 'user', items: ['text:What is this?', 'image:data:image/png;base64,AA==@messages[2].content[1].image_url.url'] },
    { role: 'assistant', items: ['call0:look({"x":1})'] },
    { role: 'user', items: ['result:look=a cat', 'text:And now?'] },
  ]);
});

test('errors name the message and the upstream', () => {
  assert.throws(() => splitConversation([{ role: 'system', content: 'x' }], 'Test', asText), (err: ApiError) => err.param === 'messages' && /^Test needs/.test(err.message));
  assert.throws(
    () => splitConversation([{ role: 'user', content: 'x' }, { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '[1]' } }] }], 'Test', asText),
    (err: ApiError) => err.param === 'messages[1].tool_calls[0].function.arguments',
  );
  assert.throws(() => splitConversation([{ role: 'tool', content: 'x' }], 'Test', asText), (err: ApiError) => err.param === 'messages[0].tool_call_id');
});

test('a tool result reads its text only when the upstream asks, after its own checks', () => {
  const strict: TurnItems<string> = {
    ...asText,
    toolResult(result, param) {
      if (!result.name) throw Object.assign(new Error('unknown id'), { param });
      return result.text;
    },
  };
  // The content is invalid too, but the upstream's id check speaks first.
  assert.throws(
    () => splitConversation([{ role: 'user', content: 'x' }, { role: 'tool', tool_call_id: 'nope', content: [{ type: 'image_url', image_url: { url: 'u' } }] }], 'Test', strict),
    (err: Error & { param?: string }) => err.message === 'unknown id' && err.param === 'messages[1].tool_call_id',
  );
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../../openai/api-error.ts';
import { convertToAnthropicMessages } from './convert-to-anthropic-messages.ts';

const PNG = 'data:image/png;base64,iVBORw0KGgo=';

test('system and developer messages become the top-level system prompt', () => {
  const out = convertToAnthropicMessages([
    { role: 'system', content: 'Be brief.' },
    { role: 'developer', content: [{ type: 'text', text: 'Answer in English.' }] },
    { role: 'user', content: 'Hi' },
  ]);
  assert.deepEqual(out.system, [{ type: 'text', text: 'Be brief.' }, { type: 'text', text: 'Answer in English.' }]);
  assert.deepEqual(out.messages, [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }]);
});

test('images become base64 or url sources, in order with the text', () => {
  const out = convertToAnthropicMessages([
    {
      role: 'user',
      content: [
        { type: 'text', text: 'Compare' },
        { type: 'image_url', image_url: { url: PNG } },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg', detail: 'high' } },
      ],
    },
  ]);
  assert.deepEqual(out.messages[0].content, [
    { type: 'text', text: 'Compare' },
    { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
    { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
  ]);
});

test('an image type Anthropic does not take is refused with its param', () => {
  assert.throws(
    () => convertToAnthropicMessages([{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/tiff;base64,AAAA' } }] }]),
    (err: ApiError) => err.status === 400 && err.param === 'messages[0].content[0].image_url.url' && err.code === 'unsupported_image_media_type',
  );
});

test('tool calls become tool_use blocks and tool results merge into one user turn', () => {
  const out = convertToAnthropicMessages([
    { role: 'user', content: 'Weather in Oslo and Rome?' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } },
        { id: 'call_2', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' } },
      ],
    },
    { role: 'tool', tool_call_id: 'call_1', content: '3 °C' },
    { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: '21 °C' }] },
    { role: 'user', content: 'Which is warmer?' },
  ]);
  assert.equal(out.messages.length, 3);
  assert.deepEqual(out.messages[1], {
    role: 'assistant',
    content: [
      { type: 'tool_use', id: 'call_1', name: 'weather', input: { city: 'Oslo' } },
      { type: 'tool_use', id: 'call_2', name: 'weather', input: { city: 'Rome' } },
    ],
  });
  assert.deepEqual(out.messages[2], {
    role: 'user',
    content: [
      { type: 'tool_result', tool_use_id: 'call_1', content: '3 °C' },
      { type: 'tool_result', tool_use_id: 'call_2', content: '21 °C' },
      { type: 'text', text: 'Which is warmer?' },
    ],
  });
});

test('consecutive same-role messages merge so roles alternate; empty text is dropped', () => {
  const out = convertToAnthropicMessages([
    { role: 'user', content: 'one' },
    { role: 'user', content: 'two' },
    { role: 'assistant', content: '' },
    { role: 'assistant', content: 'three' },
  ]);
  assert.deepEqual(out.messages.map((m) => m.role), ['user', 'assistant']);
  assert.deepEqual(out.messages[0].content, [{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }]);
  assert.deepEqual(out.messages[1].content, [{ type: 'text', text: 'three' }]);
});

test('bad tool arguments and a lone system prompt are 400s with params', () => {
  assert.throws(
    () => convertToAnthropicMessages([
      { role: 'user', content: 'x' },
      { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: 'not json' } }] },
    ]),
    (err: ApiError) => err.status === 400 && err.param === 'messages[1].tool_calls[0].function.arguments',
  );
  assert.throws(() => convertToAnthropicMessages([{ role: 'system', content: 'x' }]), (err: ApiError) => err.param === 'messages');
  assert.throws(() => convertToAnthropicMessages([{ role: 'tool', content: 'x' }]), (err: ApiError) => err.param === 'messages[0].tool_call_id');
});

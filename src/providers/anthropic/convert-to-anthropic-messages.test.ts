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

test('tool call ids outside Anthropic’s ^[a-zA-Z0-9_-]+$ are rewritten, the same in tool_use and tool_result', () => {
  const ids = ['functions.get_weather:0', 'call_ok-1'];
  const out = convertToAnthropicMessages([
    { role: 'user', content: 'Weather?' },
    { role: 'assistant', tool_calls: ids.map((id) => ({ id, type: 'function' as const, function: { name: 'get_weather', arguments: '{}' } })) },
    ...ids.map((id) => ({ role: 'tool' as const, tool_call_id: id, content: '21' })),
  ]);
  const uses = out.messages[1].content.map((b) => (b as { id: string }).id);
  const results = out.messages[2].content.map((b) => (b as { tool_use_id: string }).tool_use_id);
  assert.deepEqual(results, uses);
  assert.equal(uses[1], 'call_ok-1', 'a valid id is kept as it is');
  assert.match(uses[0], /^[a-zA-Z0-9_-]+$/);
  // Two ids that differ only in refused characters stay apart.
  const a = convertToAnthropicMessages([{ role: 'user', content: 'x' }, { role: 'assistant', tool_calls: [
    { id: 'c.1', type: 'function', function: { name: 'f', arguments: '{}' } },
    { id: 'c:1', type: 'function', function: { name: 'f', arguments: '{}' } },
  ] }]);
  const [one, two] = a.messages[1].content.map((b) => (b as { id: string }).id);
  assert.notEqual(one, two);
});

test('whitespace-only text, which Anthropic refuses, is left out; turns left empty merge away', () => {
  const out = convertToAnthropicMessages([
    { role: 'system', content: '  \n' },
    { role: 'user', content: 'one' },
    { role: 'assistant', content: ' \n\t' },
    { role: 'user', content: [{ type: 'text', text: '\n' }, { type: 'text', text: 'two' }] },
    { role: 'assistant', content: 'three' },
  ]);
  assert.deepEqual(out.system, []);
  assert.deepEqual(out.messages, [
    { role: 'user', content: [{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }] },
    { role: 'assistant', content: [{ type: 'text', text: 'three' }] },
  ]);
  assert.throws(() => convertToAnthropicMessages([{ role: 'user', content: ' ' }]), (err: ApiError) => err.status === 400 && err.param === 'messages');
});

test('a final assistant turn (a prefill) loses its trailing whitespace, which Anthropic refuses', () => {
  const out = convertToAnthropicMessages([
    { role: 'user', content: 'Say: ' },
    { role: 'assistant', content: 'Keep  this \n' },
  ]);
  assert.deepEqual(out.messages[1], { role: 'assistant', content: [{ type: 'text', text: 'Keep  this' }] });
  // Earlier assistant turns keep theirs.
  const earlier = convertToAnthropicMessages([{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b \n' }, { role: 'user', content: 'c' }]);
  assert.deepEqual(earlier.messages[1].content, [{ type: 'text', text: 'b \n' }]);
});

test('an empty tool result is sent without content, not as empty text', () => {
  const out = convertToAnthropicMessages([
    { role: 'user', content: 'Run it' },
    { role: 'assistant', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'run', arguments: '{}' } }] },
    { role: 'tool', tool_call_id: 'call_1', content: '' },
  ]);
  assert.deepEqual(out.messages[2].content, [{ type: 'tool_result', tool_use_id: 'call_1' }]);
});

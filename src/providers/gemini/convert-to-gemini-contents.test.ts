import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../../openai/api-error.ts';
import { convertToGeminiContents, SKIP_THOUGHT_SIGNATURE } from './convert-to-gemini-contents.ts';

test('system and developer messages become systemInstruction; assistant turns are role model', () => {
  const out = convertToGeminiContents([
    { role: 'system', content: 'Be brief.' },
    { role: 'developer', content: 'No emoji.' },
    { role: 'user', content: 'Hi' },
    { role: 'assistant', content: 'Hello!' },
    { role: 'user', content: 'Again' },
  ]);
  assert.deepEqual(out.systemInstruction, { parts: [{ text: 'Be brief.' }, { text: 'No emoji.' }] });
  assert.deepEqual(out.contents, [
    { role: 'user', parts: [{ text: 'Hi' }] },
    { role: 'model', parts: [{ text: 'Hello!' }] },
    { role: 'user', parts: [{ text: 'Again' }] },
  ]);
});

test('images go inline with their MIME type and the base64 without its data: prefix', () => {
  const out = convertToGeminiContents([
    { role: 'user', content: [{ type: 'text', text: 'What?' }, { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ' } }] },
  ]);
  assert.deepEqual(out.contents[0].parts, [{ text: 'What?' }, { inlineData: { mimeType: 'image/jpeg', data: '/9j/4AAQ' } }]);
});

test('URLs Gemini cannot fetch and GIFs are refused with their param', () => {
  assert.throws(
    () => convertToGeminiContents([{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }]),
    (err: ApiError) => err.status === 400 && err.param === 'messages[0].content[0].image_url.url' && err.code === 'invalid_image_url',
  );
  assert.throws(
    () => convertToGeminiContents([{ role: 'user', content: [{ type: 'text', text: 'x' }, { type: 'image_url', image_url: { url: 'data:image/gif;base64,R0lG' } }] }]),
    (err: ApiError) => err.param === 'messages[0].content[1].image_url.url' && err.code === 'unsupported_image_media_type',
  );
});

test('tool calls become functionCall parts; tool results become functionResponse parts named from the call, in the order of the calls', () => {
  const out = convertToGeminiContents([
    { role: 'user', content: 'Weather?' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_a', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } },
        { id: 'call_b', type: 'function', function: { name: 'time', arguments: '{}' } },
      ],
    },
    { role: 'tool', tool_call_id: 'call_b', content: '12:00' },
    { role: 'tool', tool_call_id: 'call_a', content: '{"celsius":3}' },
  ]);
  assert.deepEqual(out.contents[1], {
    role: 'model',
    parts: [{ functionCall: { name: 'weather', args: { city: 'Oslo' } } }, { functionCall: { name: 'time', args: {} } }],
  });
  assert.deepEqual(out.contents[2], {
    role: 'user',
    parts: [
      { functionResponse: { name: 'weather', response: { celsius: 3 } } },
      { functionResponse: { name: 'time', response: { content: '12:00' } } },
    ],
  });
});

test('Gemini 3 replays get the documented signature sentinel on the first call of a turn', () => {
  const out = convertToGeminiContents(
    [
      { role: 'user', content: 'x' },
      { role: 'assistant', tool_calls: [
        { id: 'a', type: 'function', function: { name: 'f', arguments: '{}' } },
        { id: 'b', type: 'function', function: { name: 'g', arguments: '{}' } },
      ] },
    ],
    { gemini3: true },
  );
  assert.equal(out.contents[1].parts[0].thoughtSignature, SKIP_THOUGHT_SIGNATURE);
  assert.equal(out.contents[1].parts[1].thoughtSignature, undefined);
});

test('Gemini 3: a signature the client sent back (extra_content.google.thought_signature) goes back as it came; calls and responses carry their ids', () => {
  const messages = [
    { role: 'user' as const, content: 'x' },
    { role: 'assistant' as const, tool_calls: [
      { id: 'fc_1', type: 'function' as const, function: { name: 'f', arguments: '{}' }, extra_content: { google: { thought_signature: 'CiQBsig==' } } },
      { id: 'fc_2', type: 'function' as const, function: { name: 'g', arguments: '{}' } },
    ] },
    { role: 'tool' as const, tool_call_id: 'fc_2', content: 'G' },
    { role: 'tool' as const, tool_call_id: 'fc_1', content: 'F' },
  ];
  const out = convertToGeminiContents(messages, { gemini3: true });
  assert.deepEqual(out.contents[1].parts.map((p) => [p.functionCall?.id, p.thoughtSignature]), [['fc_1', 'CiQBsig=='], ['fc_2', undefined]]);
  assert.deepEqual(out.contents[2].parts.map((p) => p.functionResponse?.id), ['fc_1', 'fc_2'], 'in call order, each with its id');
  // Gemini 2 gets neither ids (it refuses ones it did not expect) nor a sentinel; a real signature still goes back.
  const older = convertToGeminiContents(messages);
  assert.deepEqual(older.contents[1].parts.map((p) => [p.functionCall?.id, p.thoughtSignature]), [[undefined, 'CiQBsig=='], [undefined, undefined]]);
  assert.equal(older.contents[2].parts[0].functionResponse?.id, undefined);
});

test('a tool message whose id matches no earlier call is a 400 on tool_call_id', () => {
  assert.throws(
    () => convertToGeminiContents([{ role: 'user', content: 'x' }, { role: 'tool', tool_call_id: 'nope', content: 'r' }]),
    (err: ApiError) => err.status === 400 && err.param === 'messages[1].tool_call_id',
  );
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { AnthropicResponse } from './anthropic-wire.ts';
import { convertAnthropicResponse } from './convert-anthropic-response.ts';

const fixture = (name: string): AnthropicResponse =>
  JSON.parse(readFileSync(new URL(`../../../test/fixtures/anthropic/${name}`, import.meta.url), 'utf8')) as AnthropicResponse;

test('a text message becomes one stop choice with cache-aware usage', () => {
  const out = convertAnthropicResponse(fixture('text.json'), null, 1700000000);
  assert.deepEqual(out, {
    id: 'chatcmpl-msg_01XFDUDYJgAACzvnptvVoYEL',
    object: 'chat.completion',
    created: 1700000000,
    model: 'claude-sonnet-4-5-20250929',
    choices: [{
      index: 0,
      message: { role: 'assistant', content: 'The photo shows a red bicycle leaning against a brick wall.', refusal: null },
      finish_reason: 'stop',
      logprobs: null,
    }],
    usage: {
      prompt_tokens: 2792,
      completion_tokens: 14,
      total_tokens: 2806,
      prompt_tokens_details: { cached_tokens: 1024, cache_write_tokens: 200 },
    },
  });
});

test('tool_use blocks become tool_calls with JSON-string arguments; thinking becomes reasoning_content', () => {
  const out = convertAnthropicResponse(fixture('tool-use.json'), null);
  const choice = out.choices[0];
  assert.equal(choice.finish_reason, 'tool_calls');
  assert.equal(choice.message.content, "I'll check the weather in Oslo.");
  assert.equal(choice.message.reasoning_content, 'The user wants the weather, I should call the tool.');
  assert.deepEqual(choice.message.tool_calls, [
    { id: 'toolu_01A09q90qw90lq917835lq9', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo","unit":"celsius"}' } },
  ]);
});

test('max_tokens is length, stop_sequence is stop, refusal is content_filter with what was written as content (as streamed)', () => {
  assert.equal(convertAnthropicResponse(fixture('max-tokens.json'), null).choices[0].finish_reason, 'length');
  assert.equal(convertAnthropicResponse(fixture('stop-sequence.json'), null).choices[0].finish_reason, 'stop');
  const refusal = convertAnthropicResponse(fixture('refusal.json'), null).choices[0];
  assert.equal(refusal.finish_reason, 'content_filter');
  assert.equal(refusal.message.content, "I can't help with identifying this person.");
  assert.equal(refusal.message.refusal, null);
});

test('JSON modes: the prefill is put back; the forced tool input is the content', () => {
  const prefilled = convertAnthropicResponse({ ...fixture('text.json'), content: [{ type: 'text', text: '"a": 1}' }] }, { mode: 'prefill', prefix: '{' });
  assert.deepEqual(JSON.parse(prefilled.choices[0].message.content!), { a: 1 });
  const tool = fixture('tool-use.json');
  tool.content = [{ type: 'tool_use', id: 't', name: 'answer', input: { colour: 'red' } }];
  const viaTool = convertAnthropicResponse(tool, { mode: 'tool', name: 'answer', wrapped: false }).choices[0];
  assert.equal(viaTool.message.content, '{"colour":"red"}');
  assert.equal(viaTool.message.tool_calls, undefined);
  assert.equal(viaTool.finish_reason, 'stop');
  tool.content = [{ type: 'tool_use', id: 't', name: 'answer', input: { value: ['a', 'b'] } }];
  assert.equal(convertAnthropicResponse(tool, { mode: 'tool', name: 'answer', wrapped: true }).choices[0].message.content, '["a","b"]');
});

test('json_schema beside client tools: a client tool call keeps finish_reason tool_calls, whatever the block order', () => {
  const tool = fixture('tool-use.json');
  tool.stop_reason = 'tool_use';
  tool.content = [
    { type: 'tool_use', id: 't1', name: 'answer', input: { colour: 'red' } },
    { type: 'tool_use', id: 't2', name: 'get_weather', input: { city: 'Oslo' } },
  ];
  const choice = convertAnthropicResponse(tool, { mode: 'tool', name: 'answer', wrapped: false }).choices[0];
  assert.equal(choice.finish_reason, 'tool_calls');
  assert.deepEqual(choice.message.tool_calls?.map((c) => c.function.name), ['get_weather']);
});

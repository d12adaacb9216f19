import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatCompletionRequest } from '../../openai/types.ts';
import { convertToAnthropicRequest } from './convert-to-anthropic-request.ts';

const opts = { defaultMaxTokens: 4096, temperature: 'clamp' as const, stream: false };
const req = (extra: Partial<ChatCompletionRequest>): ChatCompletionRequest => ({
  model: 'claude-x',
  messages: [{ role: 'user', content: 'Describe it' }],
  ...extra,
});

test('max_tokens is always sent: max_completion_tokens, then max_tokens, then the default', () => {
  assert.equal(convertToAnthropicRequest(req({}), opts).body.max_tokens, 4096);
  assert.equal(convertToAnthropicRequest(req({ max_tokens: 50 }), opts).body.max_tokens, 50);
  assert.equal(convertToAnthropicRequest(req({ max_tokens: 50, max_completion_tokens: 70 }), opts).body.max_tokens, 70);
});

test('sampling and stop fields map to their Anthropic names; unknown OpenAI fields are not sent', () => {
  const { body } = convertToAnthropicRequest(
    req({ stop: '\n\n', top_p: 0.9, top_k: 40, temperature: 1.5, user: 'u-1', seed: 3, presence_penalty: 1, logit_bias: { '1': 2 } }),
    { ...opts, stream: true },
  );
  assert.deepEqual(body, {
    model: 'claude-x',
    max_tokens: 4096,
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Describe it' }] }],
    temperature: 1,
    top_p: 0.9,
    top_k: 40,
    stop_sequences: ['\n\n'],
    metadata: { user_id: 'u-1' },
    stream: true,
  });
  assert.deepEqual(convertToAnthropicRequest(req({ stop: ['a', 'b'] }), opts).body.stop_sequences, ['a', 'b']);
  assert.equal(convertToAnthropicRequest(req({ temperature: 1.5 }), { ...opts, temperature: 'scale' }).body.temperature, 0.75);
});

test('json_object asks in the system prompt and prefills `{`', () => {
  const plan = convertToAnthropicRequest(req({ messages: [{ role: 'system', content: 'Be exact.' }, { role: 'user', content: 'List colours' }], response_format: { type: 'json_object' } }), opts);
  assert.deepEqual(plan.json, { mode: 'prefill', prefix: '{' });
  assert.equal(plan.body.system?.[0].text, 'Be exact.');
  assert.match(plan.body.system?.[1].text ?? '', /JSON/);
  assert.deepEqual(plan.body.messages.at(-1), { role: 'assistant', content: [{ type: 'text', text: '{' }] });
});

test('json_schema forces a tool with the schema as its input, wrapping non-object schemas', () => {
  const schema = { type: 'object', properties: { colour: { type: 'string' } }, required: ['colour'], additionalProperties: false };
  const plan = convertToAnthropicRequest(req({ response_format: { type: 'json_schema', json_schema: { name: 'colour answer', schema, strict: true } } }), opts);
  assert.deepEqual(plan.json, { mode: 'tool', name: 'colour_answer', wrapped: false });
  assert.deepEqual(plan.body.tool_choice, { type: 'tool', name: 'colour_answer' });
  assert.deepEqual(plan.body.tools?.[0].input_schema, schema);

  const list = convertToAnthropicRequest(req({ response_format: { type: 'json_schema', json_schema: { name: 'tags', schema: { type: 'array', items: { type: 'string' } } } } }), opts);
  assert.deepEqual(list.json, { mode: 'tool', name: 'tags', wrapped: true });
  assert.deepEqual(list.body.tools?.[0].input_schema, { type: 'object', properties: { value: { type: 'array', items: { type: 'string' } } }, required: ['value'] });
});

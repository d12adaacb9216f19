import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiError } from '../../openai/api-error.ts';
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
    req({ model: 'claude-sonnet-4-20250514', stop: '\n\nQ:', top_p: 0.9, top_k: 40, temperature: 1.5, user: 'u-1', seed: 3, presence_penalty: 1, logit_bias: { '1': 2 } }),
    { ...opts, stream: true },
  );
  assert.deepEqual(body, {
    model: 'claude-sonnet-4-20250514',
    max_tokens: 4096,
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Describe it' }] }],
    temperature: 1,
    top_p: 0.9,
    top_k: 40,
    stop_sequences: ['\n\nQ:'],
    metadata: { user_id: 'u-1' },
    stream: true,
  });
  assert.deepEqual(convertToAnthropicRequest(req({ stop: ['a', 'b'] }), opts).body.stop_sequences, ['a', 'b']);
  assert.equal(convertToAnthropicRequest(req({ model: 'claude-sonnet-4-5', temperature: 1.5 }), { ...opts, temperature: 'scale' }).body.temperature, 0.75);
});

test('Claude 4.7 and later get only the sampling settings they take (anthropic-sampling.ts)', () => {
  const sampling = { temperature: 0.2, top_p: 0.5, top_k: 40 };
  const { body } = convertToAnthropicRequest(req({ model: 'claude-opus-4-7', ...sampling }), opts);
  assert.deepEqual([body.temperature, body.top_p, body.top_k], [undefined, undefined, undefined]);
  assert.throws(() => convertToAnthropicRequest(req({ model: 'claude-opus-4-7', ...sampling }), { ...opts, temperature: 'refuse' }), { status: 400, param: 'temperature' });
  // Beside thinking they are left out whatever the policy, as before.
  assert.equal(convertToAnthropicRequest(req({ model: 'claude-opus-4-7', reasoning_effort: 'low', ...sampling }), { ...opts, temperature: 'refuse' }).body.temperature, undefined);
});

test('json_object asks in the system prompt and prefills `{` (Claude before 4.6, and Anthropic-compatible servers)', () => {
  for (const model of ['claude-sonnet-4-5', 'claude-3-7-sonnet-latest', 'qwen3-coder']) {
    const plan = convertToAnthropicRequest(req({ model, messages: [{ role: 'system', content: 'Be exact.' }, { role: 'user', content: 'List colours' }], response_format: { type: 'json_object' } }), opts);
    assert.deepEqual(plan.json, { mode: 'prefill', prefix: '{' }, model);
    assert.equal(plan.body.system?.[0].text, 'Be exact.');
    assert.match(plan.body.system?.[1].text ?? '', /JSON/);
    assert.deepEqual(plan.body.messages.at(-1), { role: 'assistant', content: [{ type: 'text', text: '{' }] });
  }
});

test('json_object on Claude 4.6 and later, or a newer family, is the instruction alone: they refuse a prefill with a 400', () => {
  for (const model of ['claude-sonnet-4-6', 'claude-opus-4-7', 'claude-opus-5', 'claude-mythos-preview']) {
    const plan = convertToAnthropicRequest(req({ model, response_format: { type: 'json_object' } }), opts);
    assert.equal(plan.json, null, model);
    assert.equal(plan.body.messages.at(-1)?.role, 'user', model);
    assert.match(plan.body.system?.at(-1)?.text ?? '', /JSON/);
  }
});

test('the API version 2026-10-21 and later take no temperature, top_p or top_k, not even defaults; refused under refuse', () => {
  const sampling = { temperature: 1, top_p: 0.5, top_k: 5 };
  const body = convertToAnthropicRequest(req({ model: 'claude-sonnet-4-5', ...sampling }), { ...opts, apiVersion: '2026-10-21' }).body;
  assert.deepEqual([body.temperature, body.top_p, body.top_k], [undefined, undefined, undefined]);
  const older = convertToAnthropicRequest(req({ model: 'claude-sonnet-4-5', temperature: 0.3 }), { ...opts, apiVersion: '2023-06-01' }).body;
  assert.equal(older.temperature, 0.3);
  assert.throws(() => convertToAnthropicRequest(req({ model: 'claude-sonnet-4-5', temperature: 0.3 }), { ...opts, temperature: 'refuse', apiVersion: '2026-10-21' }), /temperature/);
});

test('json_schema forces a tool with the schema as its input, wrapping non-object schemas (Claude that can answer without thinking)', () => {
  const schema = { type: 'object', properties: { colour: { type: 'string' } }, required: ['colour'], additionalProperties: false };
  const plan = convertToAnthropicRequest(req({ model: 'claude-sonnet-4-5', response_format: { type: 'json_schema', json_schema: { name: 'colour answer', schema, strict: true } } }), opts);
  assert.deepEqual(plan.json, { mode: 'tool', name: 'colour_answer', wrapped: false });
  assert.deepEqual(plan.body.tool_choice, { type: 'tool', name: 'colour_answer' });
  assert.deepEqual(plan.body.tools?.[0].input_schema, schema);

  const list = convertToAnthropicRequest(req({ model: 'claude-sonnet-4-5', response_format: { type: 'json_schema', json_schema: { name: 'tags', schema: { type: 'array', items: { type: 'string' } } } } }), opts);
  assert.deepEqual(list.json, { mode: 'tool', name: 'tags', wrapped: true });
  assert.deepEqual(list.body.tools?.[0].input_schema, { type: 'object', properties: { value: { type: 'array', items: { type: 'string' } } }, required: ['value'] });

  // A root that is a $ref: its definitions stay at the root, where the $ref points.
  const answer = { type: 'object', properties: { city: { type: 'string' } } };
  const ref = convertToAnthropicRequest(req({ model: 'claude-sonnet-4-5', response_format: { type: 'json_schema', json_schema: { name: 'a', schema: { $ref: '#/$defs/Answer', $defs: { Answer: answer } } } } }), opts);
  assert.deepEqual(ref.body.tools?.[0].input_schema, { type: 'object', properties: { value: { $ref: '#/$defs/Answer' } }, required: ['value'], $defs: { Answer: answer } });
});

test('reasoning_effort turns thinking on; the sampling settings Anthropic refuses with it are left out', () => {
  const { body } = convertToAnthropicRequest(
    req({ model: 'claude-sonnet-4-5', reasoning_effort: 'medium', verbosity: 'low', temperature: 0.3, top_p: 0.5, top_k: 5, stop: 'END' }),
    opts,
  );
  assert.deepEqual(body, {
    model: 'claude-sonnet-4-5',
    max_tokens: 4096 + 8192,
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Describe it' }] }],
    stop_sequences: ['END'],
    thinking: { type: 'enabled', budget_tokens: 8192 },
  });
  const adaptive = convertToAnthropicRequest(req({ model: 'claude-opus-4-7', reasoning_effort: 'high', max_completion_tokens: 2000 }), opts).body;
  assert.deepEqual([adaptive.thinking, adaptive.output_config, adaptive.max_tokens], [{ type: 'adaptive', display: 'summarized' }, { effort: 'high' }, 2000]);
});

test('reasoning_effort none, or a model that cannot think, leaves the request as without it', () => {
  for (const extra of [{ model: 'claude-sonnet-4-5', reasoning_effort: 'none' }, { model: 'claude-3-5-haiku-20241022', reasoning_effort: 'high' }] as const) {
    const { body } = convertToAnthropicRequest(req({ ...extra, temperature: 0.3 }), opts);
    assert.equal(body.thinking, undefined);
    assert.equal(body.output_config, undefined);
    assert.equal(body.temperature, 0.3);
    assert.equal(body.max_tokens, 4096);
  }
});

test('json_object while thinking: the instruction, but no `{` prefill, which Anthropic refuses with thinking', () => {
  const plan = convertToAnthropicRequest(req({ model: 'claude-opus-4-7', reasoning_effort: 'low', response_format: { type: 'json_object' } }), opts);
  assert.equal(plan.json, null);
  assert.match(plan.body.system?.at(-1)?.text ?? '', /JSON/);
  assert.equal(plan.body.messages.at(-1)?.role, 'user');
  assert.equal(plan.body.thinking?.type, 'adaptive');
});

test('what Anthropic cannot combine with thinking wins over reasoning_effort: forced tools, prefills, a tool loop', () => {
  const fn = { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object' } } };
  const call = { id: 'call_1', type: 'function' as const, function: { name: 'get_weather', arguments: '{}' } };
  const requests: Array<Partial<ChatCompletionRequest>> = [
    { tools: [fn], tool_choice: 'required' },
    { tools: [fn], tool_choice: { type: 'function', function: { name: 'get_weather' } } },
    { response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' } } } },
    { messages: [{ role: 'user', content: 'Tell a story' }, { role: 'assistant', content: 'Once upon' }] },
    { tools: [fn], messages: [{ role: 'user', content: 'Weather?' }, { role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: 'call_1', content: '21' }] },
  ];
  for (const extra of requests) {
    const { body } = convertToAnthropicRequest(req({ model: 'claude-sonnet-4-6', reasoning_effort: 'high', temperature: 0.2, ...extra }), opts);
    assert.equal(body.thinking, undefined, JSON.stringify(extra));
    assert.equal(body.output_config, undefined);
    assert.equal(body.temperature, 0.2, 'sampling settings stay when there is no thinking');
    assert.equal(body.max_tokens, 4096);
  }
});

test('a stop sequence that is only whitespace, which Anthropic refuses, is a 400 on stop', () => {
  for (const stop of ['\n', ['END', ' \n']]) {
    assert.throws(() => convertToAnthropicRequest(req({ stop }), opts), (err: ApiError) =>
      err.status === 400 && err.param === 'stop' && err.code === 'unsupported_value' && /whitespace/.test(err.message), JSON.stringify(stop));
  }
  assert.deepEqual(convertToAnthropicRequest(req({ stop: ['\nObservation:', ''] }), opts).body.stop_sequences, ['\nObservation:']);
});

test('json_schema beside the client’s tools: the model may call them or answer (tool_choice any)', () => {
  const fn = { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object' } } };
  const format = { type: 'json_schema' as const, json_schema: { name: 'answer', schema: { type: 'object' } } };
  for (const extra of [{}, { tool_choice: 'auto' as const }]) {
    const plan = convertToAnthropicRequest(req({ model: 'claude-sonnet-4-5', tools: [fn], response_format: format, ...extra }), opts);
    assert.deepEqual(plan.body.tools?.map((t) => t.name), ['get_weather', 'answer']);
    assert.deepEqual(plan.body.tool_choice, { type: 'any' });
    assert.deepEqual(plan.json, { mode: 'tool', name: 'answer', wrapped: false });
  }
  assert.deepEqual(convertToAnthropicRequest(req({ model: 'claude-sonnet-4-5', tools: [fn], response_format: format, parallel_tool_calls: false }), opts).body.tool_choice, { type: 'any', disable_parallel_tool_use: true });
  // tool_choice none: the tools are not to be called, so the answer is forced as before.
  assert.deepEqual(convertToAnthropicRequest(req({ model: 'claude-sonnet-4-5', tools: [fn], tool_choice: 'none', response_format: format }), opts).body.tool_choice, { type: 'tool', name: 'answer' });
  // A tool call the client forces is what it gets; the answer comes in a later turn.
  for (const tool_choice of ['required' as const, { type: 'function' as const, function: { name: 'get_weather' } }]) {
    const plan = convertToAnthropicRequest(req({ model: 'claude-sonnet-4-5', tools: [fn], tool_choice, response_format: format }), opts);
    assert.deepEqual(plan.body.tools?.map((t) => t.name), ['get_weather']);
    assert.notEqual(plan.body.tool_choice?.type, 'auto');
    assert.equal(plan.json, null);
  }
});

test('json_object beside tools the model may call: the instruction, but no `{` prefill, which would rule out a call', () => {
  const fn = { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object' } } };
  const plan = convertToAnthropicRequest(req({ model: 'claude-sonnet-4-5', tools: [fn], response_format: { type: 'json_object' } }), opts);
  assert.equal(plan.json, null);
  assert.equal(plan.body.messages.at(-1)?.role, 'user');
  assert.match(plan.body.system?.at(-1)?.text ?? '', /JSON/);
  assert.equal(convertToAnthropicRequest(req({ model: 'claude-sonnet-4-5', tools: [fn], tool_choice: 'none', response_format: { type: 'json_object' } }), opts).json?.mode, 'prefill');
});

test('safety_identifier, which replaces the deprecated user, becomes metadata.user_id', () => {
  assert.deepEqual(convertToAnthropicRequest(req({ safety_identifier: 'hash-1' }), opts).body.metadata, { user_id: 'hash-1' });
  assert.deepEqual(convertToAnthropicRequest(req({ safety_identifier: 'hash-1', user: 'u-1' }), opts).body.metadata, { user_id: 'hash-1' });
  assert.deepEqual(convertToAnthropicRequest(req({ user: 'u-1' }), opts).body.metadata, { user_id: 'u-1' });
});

test('logprobs and audio output, which Claude cannot give, are a 400 naming them; logprobs false is fine', () => {
  const refused = (extra: Partial<ChatCompletionRequest>) => {
    try {
      convertToAnthropicRequest(req(extra), opts);
    } catch (err) {
      const e = err as ApiError;
      return [e.status, e.param, e.code];
    }
    return null;
  };
  assert.deepEqual(refused({ logprobs: true, top_logprobs: 2 }), [400, 'logprobs', 'unsupported_value']);
  assert.deepEqual(refused({ modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'mp3' } }), [400, 'modalities', 'unsupported_value']);
  assert.deepEqual(refused({ audio: { voice: 'alloy', format: 'mp3' } }), [400, 'audio', 'unsupported_value']);
  assert.equal(refused({ logprobs: false, modalities: ['text'] }), null);
});

test('json_schema on a Claude that always thinks (Fable, Mythos) is a structured output: no forced tool, which it refuses', () => {
  const schema = { type: 'object', properties: { colour: { type: 'string' } }, required: ['colour'], additionalProperties: false };
  const plan = convertToAnthropicRequest(req({ model: 'claude-fable-5-1', reasoning_effort: 'high', response_format: { type: 'json_schema', json_schema: { name: 'colour', schema, strict: true } } }), opts);
  assert.equal(plan.json, null, 'the answer is the text');
  assert.equal(plan.body.tools, undefined);
  assert.equal(plan.body.tool_choice, undefined);
  assert.deepEqual(plan.body.output_config, { effort: 'high', format: { type: 'json_schema', schema } });
  assert.equal(plan.body.thinking?.type, 'adaptive', 'reasoning_effort still applies');
});

test('Claude 5 thinks unless told not to: reasoning_effort none, and what must go without thinking, send thinking disabled', () => {
  assert.deepEqual(convertToAnthropicRequest(req({ model: 'claude-opus-5', reasoning_effort: 'none' }), opts).body.thinking, { type: 'disabled' });
  assert.equal(convertToAnthropicRequest(req({ model: 'claude-opus-5' }), opts).body.thinking, undefined, 'no effort: the model\'s own default');
  const fn = { type: 'function' as const, function: { name: 'f', parameters: { type: 'object' } } };
  const forced = convertToAnthropicRequest(req({ model: 'claude-opus-5', reasoning_effort: 'high', tools: [fn], tool_choice: 'required' }), opts).body;
  assert.deepEqual([forced.thinking, forced.output_config], [{ type: 'disabled' }, undefined]);
  // Older adaptive models think only when asked; the ones that always think refuse `disabled`.
  assert.equal(convertToAnthropicRequest(req({ model: 'claude-opus-4-7', reasoning_effort: 'none' }), opts).body.thinking, undefined);
  assert.equal(convertToAnthropicRequest(req({ model: 'claude-fable-5-1', reasoning_effort: 'none' }), opts).body.thinking, undefined);
});

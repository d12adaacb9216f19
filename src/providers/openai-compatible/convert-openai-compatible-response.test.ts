import assert from 'node:assert/strict';
import { it } from 'node:test';
import { convertOpenAICompatibleResponse, readText, type Fresh } from './convert-openai-compatible-response.ts';

const fresh: Fresh = { id: () => 'chatcmpl-new', callId: () => 'call_new', now: () => 1_700_000_000 };

it('fills what OpenAI always sends and maps the finish reason', () => {
  const body = JSON.parse('{"id":"","model":"m","choices":[{"message":{"tool_calls":[{"function":{"name":"f","arguments":{"a":1}}}]},"finish_reason":null}]}') as object;
  assert.deepEqual(convertOpenAICompatibleResponse(body, fresh), {
    completion: {
      id: 'chatcmpl-new',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'm',
      choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: null, tool_calls: [{ id: 'call_new', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] }, finish_reason: 'tool_calls', logprobs: null }],
    },
  });
});

it('drops tool_calls: [] and refuses what is not a complete answer', () => {
  const ok = convertOpenAICompatibleResponse({ id: 'x', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'hi', tool_calls: [] }, finish_reason: 'eos_token' }] }, fresh);
  assert.ok('completion' in ok);
  assert.equal('tool_calls' in ok.completion.choices[0].message, false);
  assert.equal(ok.completion.choices[0].finish_reason, 'stop');
  assert.deepEqual(convertOpenAICompatibleResponse({ hello: 1 }, fresh), { problem: 'sent a response that is not a chat completion' });
  assert.deepEqual(convertOpenAICompatibleResponse({ choices: [{ message: null }] }, fresh), { problem: 'sent a choice without a message' });
  assert.match((convertOpenAICompatibleResponse({ choices: [{ message: { content: 'a' }, finish_reason: 'abort' }] }, fresh) as { problem: string }).problem, /"abort"/);
});

it('reads content as a list of parts as its text, thinking and `reasoning` as reasoning_content', () => {
  const parts = { content: [{ type: 'thinking', thinking: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }, { type: 'thinking', thinking: 'c' }, { type: 'reference', reference_ids: [1] }, { type: 'text', text: 'x' }, null] };
  readText(parts);
  assert.deepEqual(parts, { content: 'x', reasoning_content: 'abc' });
  const thinkingOnly: Record<string, unknown> = { content: [{ type: 'thinking', thinking: 'only' }] };
  readText(thinkingOnly);
  assert.deepEqual(thinkingOnly, { reasoning_content: 'only' });
  const named = { content: 'x', reasoning: 'r' };
  readText(named);
  assert.deepEqual(named, { content: 'x', reasoning: 'r', reasoning_content: 'r' });
  const both = { reasoning: 'r', reasoning_content: 'rc' };
  readText(both);
  assert.equal(both.reasoning_content, 'rc', 'reasoning_content, when sent, is what it says');
  const none = { content: null, reasoning: null, reasoning_content: null };
  readText(none);
  assert.deepEqual(none, { content: null, reasoning: null, reasoning_content: null });
});

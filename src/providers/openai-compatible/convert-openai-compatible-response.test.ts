import assert from 'node:assert/strict';
import { it } from 'node:test';
import { convertOpenAICompatibleResponse, type Fresh } from './convert-openai-compatible-response.ts';

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

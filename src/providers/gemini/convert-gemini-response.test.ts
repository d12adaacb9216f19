import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { ApiError } from '../../openai/api-error.ts';
import { convertGeminiResponse } from './convert-gemini-response.ts';
import type { GeminiResponse } from './gemini-wire.ts';

const fixture = (name: string): GeminiResponse =>
  JSON.parse(readFileSync(new URL(`../../../test/fixtures/gemini/${name}`, import.meta.url), 'utf8')) as GeminiResponse;

test('a text response becomes one stop choice with usage', () => {
  const out = convertGeminiResponse(fixture('text.json'), { model: 'gemini-2.5-flash', created: 1700000000 });
  assert.equal(out.id, 'chatcmpl-mO0aaNWHJrWK7dcP5e-28QM');
  assert.equal(out.object, 'chat.completion');
  assert.equal(out.model, 'gemini-2.5-flash');
  assert.deepEqual(out.choices, [{
    index: 0,
    message: { role: 'assistant', content: 'A wooden boardwalk crosses a green meadow under a blue sky.', refusal: null },
    finish_reason: 'stop',
    logprobs: null,
  }]);
  assert.equal(out.usage?.prompt_tokens, 1301);
  assert.equal(out.usage?.completion_tokens, 101);
  assert.equal(out.usage?.prompt_tokens_details?.image_tokens, 1290);
});

test('function calls become tool_calls with fresh ids and JSON arguments; finish is tool_calls', () => {
  const choice = convertGeminiResponse(fixture('function-call.json'), { model: 'g' }).choices[0];
  assert.equal(choice.finish_reason, 'tool_calls');
  assert.equal(choice.message.content, null);
  const calls = choice.message.tool_calls!;
  assert.equal(calls.length, 2);
  assert.match(calls[0].id, /^call_[0-9a-f]{24}$/);
  assert.notEqual(calls[0].id, calls[1].id);
  assert.deepEqual(calls.map((c) => [c.function.name, JSON.parse(c.function.arguments)]), [['get_weather', { city: 'Oslo' }], ['get_weather', { city: 'Rome' }]]);
});

test('parallel_tool_calls false (oneToolCall): a choice keeps its first call only, as OpenAI makes one', () => {
  const choice = convertGeminiResponse(fixture('function-call.json'), { model: 'g', oneToolCall: true }).choices[0];
  assert.deepEqual(choice.message.tool_calls!.map((c) => JSON.parse(c.function.arguments)), [{ city: 'Oslo' }]);
  assert.equal(choice.finish_reason, 'tool_calls');
});

test('candidates become choices by index', () => {
  const out = convertGeminiResponse(fixture('two-candidates.json'), { model: 'g' });
  assert.deepEqual(out.choices.map((c) => [c.index, c.message.content, c.finish_reason]), [[0, 'A cat.', 'stop'], [1, 'A small grey cat on a sofa.', 'length']]);
});

test('safety finishes and blocked prompts are content_filter', () => {
  const safety = convertGeminiResponse(fixture('safety.json'), { model: 'g' }).choices[0];
  assert.equal(safety.finish_reason, 'content_filter');
  assert.equal(safety.message.content, null);
  const blocked = convertGeminiResponse(fixture('blocked-prompt.json'), { model: 'g' });
  assert.equal(blocked.choices.length, 1);
  assert.equal(blocked.choices[0].finish_reason, 'content_filter');
  assert.match(blocked.choices[0].message.refusal ?? '', /PROHIBITED_CONTENT/);
  assert.equal(blocked.usage?.prompt_tokens, 1290);
});

test('logprobsResult becomes choice.logprobs: chosen tokens with their top alternatives and UTF-8 bytes', () => {
  const out = convertGeminiResponse({
    candidates: [{
      content: { role: 'model', parts: [{ text: 'Hé' }] },
      finishReason: 'STOP',
      index: 0,
      avgLogprobs: -0.2,
      logprobsResult: {
        topCandidates: [
          { candidates: [{ token: 'H', tokenId: 1, logProbability: -0.1 }, { token: 'A', tokenId: 2, logProbability: -2.5 }] },
          { candidates: [{ token: 'é', tokenId: 3, logProbability: -0.3 }] },
        ],
        chosenCandidates: [{ token: 'H', tokenId: 1, logProbability: -0.1 }, { token: 'é', tokenId: 3, logProbability: -0.3 }],
      },
    }],
  }, { model: 'g' });
  assert.deepEqual(out.choices[0].logprobs, {
    content: [
      { token: 'H', logprob: -0.1, bytes: [72], top_logprobs: [{ token: 'H', logprob: -0.1, bytes: [72] }, { token: 'A', logprob: -2.5, bytes: [65] }] },
      { token: 'é', logprob: -0.3, bytes: [195, 169], top_logprobs: [{ token: 'é', logprob: -0.3, bytes: [195, 169] }] },
    ],
    refusal: null,
  });
  assert.equal(convertGeminiResponse(fixture('text.json'), { model: 'g' }).choices[0].logprobs, null, 'none asked for, none sent');
});

test('a response without usageMetadata has no usage (Iris estimates it), not zeros', () => {
  const out = convertGeminiResponse(
    { candidates: [{ index: 0, content: { role: 'model', parts: [{ text: 'Hi' }] }, finishReason: 'STOP' }] } as GeminiResponse,
    { model: 'gemini-2.5-flash', created: 1700000000 },
  );
  assert.equal(out.choices[0].message.content, 'Hi');
  assert.equal(out.usage, undefined);
});

test('a candidate that ends in a failed function call (MALFORMED_FUNCTION_CALL, …) is a 502 naming it, not an empty stop', () => {
  for (const reason of ['MALFORMED_FUNCTION_CALL', 'UNEXPECTED_TOOL_CALL', 'TOO_MANY_TOOL_CALLS']) {
    const response: GeminiResponse = { candidates: [{ index: 0, content: { role: 'model', parts: [] }, finishReason: reason }] };
    assert.throws(
      () => convertGeminiResponse(response, { model: 'gemini-x' }),
      (err: ApiError) => err.status === 502 && err.code === 'upstream_bad_response' && err.message.includes(reason),
    );
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatCompletionRequest } from '../../openai/types.ts';
import { convertToGeminiRequest } from './convert-to-gemini-request.ts';

const req = (extra: Partial<ChatCompletionRequest>): ChatCompletionRequest => ({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }], ...extra });

test('sampling, length, stop, n, seed and penalties go into generationConfig', () => {
  const body = convertToGeminiRequest(req({
    model: 'gemini-2.0-flash',
    temperature: 1.4, top_p: 0.9, top_k: 32, max_tokens: 100, max_completion_tokens: 200, stop: ['END'], n: 2, seed: 7,
    presence_penalty: 0.5, frequency_penalty: -0.5, user: 'ignored', logit_bias: { '1': 1 },
  }));
  assert.deepEqual(body, {
    contents: [{ role: 'user', parts: [{ text: 'Hi' }] }],
    generationConfig: {
      temperature: 1.4, topP: 0.9, topK: 32, maxOutputTokens: 200, stopSequences: ['END'], candidateCount: 2, seed: 7,
      presencePenalty: 0.5, frequencyPenalty: -0.5,
    },
  });
});

test('Gemini 2.5 and later get no penalties, which they refuse; a seed past int32 is wrapped into it', () => {
  for (const model of ['gemini-2.5-flash', 'gemini-3-pro-preview']) {
    assert.deepEqual(convertToGeminiRequest(req({ model, presence_penalty: 0.5, frequency_penalty: -0.3, seed: 7 })).generationConfig, { seed: 7 });
  }
  assert.equal(convertToGeminiRequest(req({ model: 'gemini-flash-latest', presence_penalty: 0.5 })).generationConfig?.presencePenalty, 0.5, 'a generation it cannot tell');
  assert.equal(convertToGeminiRequest(req({ seed: 1234567890123 })).generationConfig?.seed, 1234567890123 | 0);
  assert.equal(convertToGeminiRequest(req({ seed: -1 })).generationConfig?.seed, -1);
});

test('no options, no generationConfig', () => {
  assert.equal(convertToGeminiRequest(req({})).generationConfig, undefined);
  assert.equal(convertToGeminiRequest(req({ top_k: -1 })).generationConfig, undefined, 'top_k -1 is off: no topK');
  assert.equal(convertToGeminiRequest(req({ n: 1, stop: 'x' })).generationConfig?.candidateCount, undefined);
});

test('JSON modes set responseMimeType; json_schema goes as it is (responseJsonSchema) from Gemini 2.5, converted (responseSchema) before', () => {
  assert.deepEqual(convertToGeminiRequest(req({ response_format: { type: 'json_object' } })).generationConfig, { responseMimeType: 'application/json' });
  const schema = { type: 'object', properties: { a: { type: 'string' }, scores: { type: 'object', additionalProperties: { type: 'number' } } }, additionalProperties: false };
  const format = { type: 'json_schema' as const, json_schema: { name: 'x', strict: true, schema } };
  for (const model of ['gemini-2.5-flash', 'gemini-3-pro-preview', 'gemini-flash-latest']) {
    assert.deepEqual(convertToGeminiRequest(req({ model, response_format: format })).generationConfig, { responseMimeType: 'application/json', responseJsonSchema: schema }, model);
  }
  assert.deepEqual(convertToGeminiRequest(req({ model: 'gemini-2.0-flash', response_format: format })).generationConfig, {
    responseMimeType: 'application/json',
    responseSchema: { type: 'OBJECT', properties: { a: { type: 'STRING' }, scores: { type: 'OBJECT' } } },
  });
});

test('Gemini 3 models get signed function-call replays, older ones do not', () => {
  const messages: ChatCompletionRequest['messages'] = [
    { role: 'user', content: 'x' },
    { role: 'assistant', tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{}' } }] },
  ];
  assert.ok(convertToGeminiRequest(req({ model: 'gemini-3-pro-preview', messages })).contents[1].parts[0].thoughtSignature);
  assert.equal(convertToGeminiRequest(req({ model: 'gemini-2.5-flash', messages })).contents[1].parts[0].thoughtSignature, undefined);
});

test('reasoning_effort becomes a thinkingConfig beside the other settings; verbosity is not sent', () => {
  assert.deepEqual(convertToGeminiRequest(req({ reasoning_effort: 'medium', verbosity: 'low', temperature: 0.5 })).generationConfig, {
    temperature: 0.5,
    thinkingConfig: { thinkingBudget: 8192, includeThoughts: true },
  });
  assert.deepEqual(convertToGeminiRequest(req({ model: 'gemini-3-flash-preview', reasoning_effort: 'high' })).generationConfig, {
    thinkingConfig: { thinkingLevel: 'high', includeThoughts: true },
  });
  assert.equal(convertToGeminiRequest(req({ verbosity: 'high' })).generationConfig, undefined);
  assert.equal(convertToGeminiRequest(req({ model: 'gemini-2.0-flash', reasoning_effort: 'high' })).generationConfig, undefined);
});

test('JSON beside callable tools before Gemini 3: asked for in the system instruction, not by mime type (refused)', () => {
  const tools = [{ type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }];
  const schema = { type: 'object', properties: { x: { type: 'string' } } };
  const old = convertToGeminiRequest(req({ tools, response_format: { type: 'json_schema', json_schema: { name: 'a', schema } } }));
  assert.equal(old.generationConfig?.responseMimeType, undefined);
  assert.equal(old.generationConfig?.responseSchema, undefined);
  assert.match(old.systemInstruction!.parts.at(-1)!.text, /answer with JSON only, valid against this JSON Schema: \{"type":"object"/);
  const none = convertToGeminiRequest(req({ tools, tool_choice: 'none', response_format: { type: 'json_object' } }));
  assert.equal(none.generationConfig?.responseMimeType, 'application/json', 'no callable tools: the mime type');
  const three = convertToGeminiRequest(req({ model: 'gemini-3-pro-preview', tools, response_format: { type: 'json_object' } }));
  assert.equal(three.generationConfig?.responseMimeType, 'application/json');
  assert.equal(three.systemInstruction, undefined);
});

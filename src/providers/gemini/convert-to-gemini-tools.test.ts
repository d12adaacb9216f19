import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatCompletionRequest } from '../../openai/types.ts';
import { convertToGeminiTools } from './convert-to-gemini-tools.ts';

const tools: ChatCompletionRequest['tools'] = [
  { type: 'function', function: { name: 'get_weather', description: 'Weather now', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
  { type: 'function', function: { name: 'ping', parameters: { type: 'object', properties: {} } } },
];
const req = (extra: Partial<ChatCompletionRequest>): ChatCompletionRequest => ({ model: 'g', messages: [], tools, ...extra });

test('functions become one functionDeclarations list; argument-less functions have no parameters', () => {
  assert.deepEqual(convertToGeminiTools(req({})).tools, [{
    functionDeclarations: [
      { name: 'get_weather', description: 'Weather now', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } }, required: ['city'] } },
      { name: 'ping' },
    ],
  }]);
});

test('tool_choice maps to functionCallingConfig modes', () => {
  assert.deepEqual(convertToGeminiTools(req({ tool_choice: 'auto' })).toolConfig, { functionCallingConfig: { mode: 'AUTO' } });
  assert.deepEqual(convertToGeminiTools(req({ tool_choice: 'required' })).toolConfig, { functionCallingConfig: { mode: 'ANY' } });
  assert.deepEqual(convertToGeminiTools(req({ tool_choice: 'none' })).toolConfig, { functionCallingConfig: { mode: 'NONE' } });
  assert.deepEqual(convertToGeminiTools(req({ tool_choice: { type: 'function', function: { name: 'ping' } } })).toolConfig, {
    functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['ping'] },
  });
});

test('allowed_tools: only the allowed functions are declared; required calls one of them', () => {
  const allowed = (mode: 'auto' | 'required') => req({ tool_choice: { type: 'allowed_tools', allowed_tools: { mode, tools: [{ type: 'function', function: { name: 'ping' } }] } } });
  assert.deepEqual(convertToGeminiTools(allowed('auto')), { tools: [{ functionDeclarations: [{ name: 'ping' }] }], toolConfig: { functionCallingConfig: { mode: 'AUTO' } } });
  assert.deepEqual(convertToGeminiTools(allowed('required')), {
    tools: [{ functionDeclarations: [{ name: 'ping' }] }],
    toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['ping'] } },
  });
});

test('tool_choice none without tools sends no toolConfig (Gemini 400s a config without function_declarations)', () => {
  assert.deepEqual(convertToGeminiTools({ model: 'g', messages: [], tool_choice: 'none' }), {});
  assert.deepEqual(convertToGeminiTools({ model: 'g', messages: [], tools: [], tool_choice: 'none' }), {});
});

test('parameters given as a root $ref (zod-to-json-schema with a name) keep their arguments', () => {
  const out = convertToGeminiTools({
    model: 'g',
    messages: [],
    tools: [{ type: 'function', function: { name: 'find', parameters: { $ref: '#/definitions/Args', definitions: { Args: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } } } } }],
  });
  assert.deepEqual(out.tools, [{ functionDeclarations: [{ name: 'find', parameters: { type: 'OBJECT', properties: { q: { type: 'STRING' } }, required: ['q'] } }] }]);
});

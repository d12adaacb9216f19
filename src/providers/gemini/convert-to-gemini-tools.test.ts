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

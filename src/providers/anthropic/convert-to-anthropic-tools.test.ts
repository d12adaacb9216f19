import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatCompletionRequest } from '../../openai/types.ts';
import { convertToAnthropicTools } from './convert-to-anthropic-tools.ts';

const tools: ChatCompletionRequest['tools'] = [
  { type: 'function', function: { name: 'get_weather', description: 'Weather now', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
  { type: 'function', function: { name: 'ping' } },
];
const base = (extra: Partial<ChatCompletionRequest>): ChatCompletionRequest => ({ model: 'm', messages: [], tools, ...extra });

test('functions become tools with input_schema (an empty object schema when none)', () => {
  const out = convertToAnthropicTools(base({}));
  assert.deepEqual(out.tools, [
    { name: 'get_weather', description: 'Weather now', input_schema: { type: 'object', properties: { city: { type: 'string' } } } },
    { name: 'ping', input_schema: { type: 'object', properties: {} } },
  ]);
  assert.equal(out.tool_choice, undefined);
});

test('tool_choice maps auto/required/none/named, and parallel_tool_calls:false disables parallel use', () => {
  assert.deepEqual(convertToAnthropicTools(base({ tool_choice: 'auto' })).tool_choice, { type: 'auto' });
  assert.deepEqual(convertToAnthropicTools(base({ tool_choice: 'required' })).tool_choice, { type: 'any' });
  assert.deepEqual(convertToAnthropicTools(base({ tool_choice: 'none' })).tool_choice, { type: 'none' });
  assert.deepEqual(convertToAnthropicTools(base({ tool_choice: { type: 'function', function: { name: 'ping' } } })).tool_choice, { type: 'tool', name: 'ping' });
  assert.deepEqual(convertToAnthropicTools(base({ parallel_tool_calls: false })).tool_choice, { type: 'auto', disable_parallel_tool_use: true });
});

test('no tools, no tool fields', () => {
  assert.deepEqual(convertToAnthropicTools({ model: 'm', messages: [] }), {});
  assert.deepEqual(convertToAnthropicTools({ model: 'm', messages: [], tool_choice: 'none' }), {}, 'none without tools: nothing to say');
});

test('allowed_tools: only the allowed tools are sent; required becomes any (the Responses API form is read too)', () => {
  const allowed = (mode: 'auto' | 'required', entry: Record<string, unknown>) => base({ tool_choice: { type: 'allowed_tools', allowed_tools: { mode, tools: [entry] } }, parallel_tool_calls: false });
  const auto = convertToAnthropicTools(allowed('auto', { type: 'function', function: { name: 'ping' } }));
  assert.deepEqual(auto, { tools: [{ name: 'ping', input_schema: { type: 'object', properties: {} } }], tool_choice: { type: 'auto', disable_parallel_tool_use: true } });
  const required = convertToAnthropicTools(allowed('required', { type: 'function', name: 'get_weather' }));
  assert.deepEqual(required.tools?.map((t) => t.name), ['get_weather']);
  assert.deepEqual(required.tool_choice, { type: 'any', disable_parallel_tool_use: true });
});

test('parameters without a type get type object, which Anthropic’s input_schema requires', () => {
  const out = convertToAnthropicTools(base({ tools: [
    { type: 'function', function: { name: 'a', parameters: {} } },
    { type: 'function', function: { name: 'b', parameters: { properties: { x: { type: 'string' } }, required: ['x'] } } },
  ] }));
  assert.deepEqual(out.tools?.map((t) => t.input_schema), [
    { type: 'object' },
    { type: 'object', properties: { x: { type: 'string' } }, required: ['x'] },
  ]);
});

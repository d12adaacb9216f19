import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatCompletionRequest } from '../../openai/types.ts';
import { convertToGeminiTools } from './convert-to-gemini-tools.ts';
import type { GeminiFunctionDeclaration } from './gemini-wire.ts';

const tools: ChatCompletionRequest['tools'] = [
  { type: 'function', function: { name: 'get_weather', description: 'Weather now', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
  { type: 'function', function: { name: 'ping', parameters: { type: 'object', properties: {} } } },
];
// Gemini 2.0 takes the OpenAPI subset (converted); 2.5 and later take JSON Schema as it is.
const req = (extra: Partial<ChatCompletionRequest>): ChatCompletionRequest => ({ model: 'gemini-2.0-flash', messages: [], tools, ...extra });

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
    model: 'gemini-2.0-flash',
    messages: [],
    tools: [{ type: 'function', function: { name: 'find', parameters: { $ref: '#/definitions/Args', definitions: { Args: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } } } } }],
  });
  assert.deepEqual(out.tools, [{ functionDeclarations: [{ name: 'find', parameters: { type: 'OBJECT', properties: { q: { type: 'STRING' } }, required: ['q'] } }] }]);
});

test('Gemini 2.5 and later get each function\'s JSON Schema as it is (parametersJsonSchema): records, $refs and tuples kept', () => {
  const parameters = {
    type: 'object',
    properties: {
      query: { type: 'object', description: 'JsonLogic query object.' },
      weights: { type: 'object', additionalProperties: { type: 'number' } },
      point: { type: 'array', items: [{ type: 'number' }, { type: 'number' }] },
      root: { $ref: '#/$defs/Node', description: 'dropped: only $ keywords may stand beside a $ref' },
    },
    required: ['query'],
    $defs: { Node: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/$defs/Node' } } } } },
  };
  for (const model of ['gemini-2.5-flash', 'gemini-3-pro-preview', 'gemini-flash-latest']) {
    const pingTool = tools![1];
    const declarations: GeminiFunctionDeclaration[] = convertToGeminiTools({ model, messages: [], tools: [{ type: 'function', function: { name: 'search', parameters } }, pingTool] }).tools![0].functionDeclarations;
    const [declaration, ping] = declarations;
    assert.deepEqual(declaration.parametersJsonSchema, {
      ...parameters,
      properties: { ...parameters.properties, point: { type: 'array', prefixItems: [{ type: 'number' }, { type: 'number' }] }, root: { $ref: '#/$defs/Node' } },
    }, model);
    assert.equal(declaration.parameters, undefined);
    assert.deepEqual(ping, { name: 'ping' }, 'a function without arguments has no schema');
  }
});

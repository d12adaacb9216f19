import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../openai/api-error.ts';
import type { ChatCompletionRequest, ChatMessage } from '../openai/types.ts';
import { convertToAnthropicMessages } from './anthropic/convert-to-anthropic-messages.ts';
import { convertToAnthropicTools } from './anthropic/convert-to-anthropic-tools.ts';
import { convertToGeminiContents } from './gemini/convert-to-gemini-contents.ts';
import { convertToGeminiTools } from './gemini/convert-to-gemini-tools.ts';

// Forms OpenAI accepts and Iris validates, but Anthropic and Gemini cannot express: each is a
// 400 naming the param, never a crash or a silently dropped part.

const user = (content: ChatMessage['content']): ChatMessage => ({ role: 'user', content });

const messageCases: [string, ChatMessage[], string][] = [
  ['an input_audio part', [user([{ type: 'text', text: 'q' }, { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }])], 'messages[0].content[1].type'],
  ['a file part', [user([{ type: 'file', file: { file_id: 'file-1' } }])], 'messages[0].content[0].type'],
  ['a function message', [user('a'), { role: 'function', name: 'f', content: 'r' }], 'messages[1].role'],
  ['a legacy function_call', [user('a'), { role: 'assistant', content: null, function_call: { name: 'f', arguments: '{}' } }], 'messages[1].function_call'],
  ['an audio-only assistant turn', [user('a'), { role: 'assistant', audio: { id: 'audio_1' } }, user('b')], 'messages[1].audio'],
  ['a custom tool call', [user('a'), { role: 'assistant', tool_calls: [{ id: 'c1', type: 'custom', custom: { name: 'g', input: 'x' } }] }], 'messages[1].tool_calls[0].type'],
];

const toolCases: [string, Partial<ChatCompletionRequest>, string][] = [
  ['a custom tool', { tools: [{ type: 'custom', custom: { name: 'g' } }] }, 'tools[0].type'],
  ['a custom tool_choice', { tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: { type: 'custom', custom: { name: 'g' } } }, 'tool_choice.type'],
  // allowed_tools is expressed as a shorter tool list, so what cannot be shortened is refused.
  [
    'an allowed_tools tool_choice naming a function not in tools',
    { tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [{ type: 'function', function: { name: 'g' } }] } } },
    'tool_choice.allowed_tools.tools[0]',
  ],
  [
    'an empty allowed_tools tool_choice',
    { tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [] } } },
    'tool_choice.allowed_tools.tools',
  ],
];

const refused = (param: string) => (err: unknown) => err instanceof ApiError && err.status === 400 && err.param === param;

for (const [upstream, convert] of [['Anthropic', convertToAnthropicMessages], ['Gemini', convertToGeminiContents]] as const) {
  for (const [name, messages, param] of messageCases) {
    test(`${upstream}: ${name} is a 400 on ${param}`, () => {
      assert.throws(() => convert(messages), refused(param));
    });
  }
}

for (const [upstream, convert] of [['Anthropic', convertToAnthropicTools], ['Gemini', convertToGeminiTools]] as const) {
  for (const [name, fields, param] of toolCases) {
    test(`${upstream}: ${name} is a 400 on ${param}`, () => {
      assert.throws(() => convert({ model: 'm', messages: [user('a')], ...fields }), refused(param));
    });
  }
}

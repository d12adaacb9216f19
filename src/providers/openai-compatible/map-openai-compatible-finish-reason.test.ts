import assert from 'node:assert/strict';
import { it } from 'node:test';
import { mapOpenAICompatibleFinishReason } from './map-openai-compatible-finish-reason.ts';

it("maps servers' finish reasons to OpenAI's five, incomplete ones to 'failed'", () => {
  const cases: [unknown, string | null][] = [
    ['stop', 'stop'], ['length', 'length'], ['tool_calls', 'tool_calls'], ['content_filter', 'content_filter'],
    ['eos_token', 'stop'], ['eos', 'stop'], ['stop_sequence', 'stop'], ['END_TURN', 'stop'], ['max_tokens', 'length'],
    ['tool_use', 'tool_calls'], ['abort', 'failed'], ['error', 'failed'], ['something_new', 'stop'],
    [null, null], [undefined, null], ['', null], [3, null],
  ];
  for (const [value, expected] of cases) assert.equal(mapOpenAICompatibleFinishReason(value), expected, String(value));
});

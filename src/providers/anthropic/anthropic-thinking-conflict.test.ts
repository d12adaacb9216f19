import assert from 'node:assert/strict';
import { test } from 'node:test';
import { thinkingConflict } from './anthropic-thinking-conflict.ts';
import type { AnthropicMessage, AnthropicRequest } from './anthropic-wire.ts';

const user = (text: string): AnthropicMessage => ({ role: 'user', content: [{ type: 'text', text }] });
const body = (messages: AnthropicMessage[], extra: Partial<AnthropicRequest> = {}): AnthropicRequest => ({ model: 'claude-opus-4-7', max_tokens: 100, messages, ...extra });
const toolTurn: AnthropicMessage = { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: {} }] };
const toolResult: AnthropicMessage = { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: '1' }] };

test('a plain conversation, tool_choice auto or none, and a finished tool loop may think', () => {
  assert.equal(thinkingConflict(body([user('hi')]), false), undefined);
  assert.equal(thinkingConflict(body([user('hi')], { tool_choice: { type: 'auto' } }), false), undefined);
  assert.equal(thinkingConflict(body([user('hi')], { tool_choice: { type: 'none' } }), false), undefined);
  const done: AnthropicMessage = { role: 'assistant', content: [{ type: 'text', text: 'It is 21°C.' }] };
  assert.equal(thinkingConflict(body([user('weather?'), toolTurn, toolResult, done, user('thanks; and tomorrow?')]), false), undefined);
});

test('a forced tool, a prefilled answer and a tool loop under way keep thinking off', () => {
  assert.match(thinkingConflict(body([user('hi')], { tool_choice: { type: 'any' } }), false)!, /forced tool/);
  assert.match(thinkingConflict(body([user('hi')], { tool_choice: { type: 'tool', name: 'f' } }), false)!, /forced tool/);
  assert.match(thinkingConflict(body([user('hi')]), true)!, /forced tool/);
  assert.match(thinkingConflict(body([user('hi'), { role: 'assistant', content: [{ type: 'text', text: 'Once' }] }]), false)!, /prefilled/);
  assert.match(thinkingConflict(body([user('weather?'), toolTurn, toolResult]), false)!, /tool call/);
});

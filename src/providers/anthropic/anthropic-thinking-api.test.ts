import assert from 'node:assert/strict';
import { test } from 'node:test';
import { anthropicThinkingApi } from './anthropic-thinking-api.ts';

test('reads the thinking API from the model id, as Anthropic, Bedrock and Vertex spell it', () => {
  const cases: Array<[string, ReturnType<typeof anthropicThinkingApi>]> = [
    ['claude-3-haiku-20240307', { kind: 'none' }],
    ['claude-3-opus-20240229', { kind: 'none' }],
    ['claude-3-5-sonnet-20241022', { kind: 'none' }],
    ['claude-3-5-haiku@20241022', { kind: 'none' }],
    ['claude-3-7-sonnet-20250219', { kind: 'budget' }],
    ['claude-3-7-sonnet-latest', { kind: 'budget' }],
    ['claude-sonnet-4-20250514', { kind: 'budget' }],
    ['claude-opus-4-0', { kind: 'budget' }],
    ['claude-opus-4-1-20250805', { kind: 'budget' }],
    ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', { kind: 'budget' }],
    ['claude-haiku-4-5', { kind: 'budget' }],
    ['claude-opus-4-5@20251101', { kind: 'budget' }],
    ['claude-sonnet-4-6', { kind: 'adaptive', xhigh: false, default: 'off' }],
    ['claude-opus-4-6', { kind: 'adaptive', xhigh: false, default: 'off' }],
    ['claude-opus-4-7', { kind: 'adaptive', xhigh: true, default: 'off' }],
    ['CLAUDE-OPUS-5', { kind: 'adaptive', xhigh: true, default: 'on' }],
    ['claude-haiku-5-5', { kind: 'adaptive', xhigh: true, default: 'on' }],
    ['claude-mythos-preview', { kind: 'adaptive', xhigh: true, default: 'always' }],
    ['claude-future-family-9', { kind: 'adaptive', xhigh: true, default: 'always' }],
    ['deepseek-chat', { kind: 'budget' }],
  ];
  for (const [model, api] of cases) assert.deepEqual(anthropicThinkingApi(model), api, model);
});

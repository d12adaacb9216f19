import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mapAnthropicThinking, THINKING_TOKENS } from './map-anthropic-thinking.ts';

const opts = (model: string, maxTokens?: number, defaultMaxTokens = 4096) => ({ model, maxTokens, defaultMaxTokens });

test('no effort and `none` send no thinking, nor does a model that cannot think', () => {
  for (const effort of [undefined, null, 'none'] as const) assert.equal(mapAnthropicThinking(effort, opts('claude-sonnet-4-5')), undefined);
  assert.equal(mapAnthropicThinking('high', opts('claude-3-5-sonnet-20241022')), undefined);
});

test('a budget model gets a budget per effort, and room for it on top of the default max_tokens', () => {
  const cases: Array<[Parameters<typeof mapAnthropicThinking>[0], number]> = [
    ['minimal', 1024], ['low', 4096], ['medium', 8192], ['high', 16384], ['xhigh', 24576], ['max', 24576],
  ];
  for (const [effort, budget] of cases) {
    assert.deepEqual(mapAnthropicThinking(effort, opts('claude-sonnet-4-5')), {
      thinking: { type: 'enabled', budget_tokens: budget },
      max_tokens: 4096 + budget,
    }, String(effort));
  }
});

test('the raised max_tokens stays within 32,000, and under it the budget stays below max_tokens', () => {
  assert.deepEqual(mapAnthropicThinking('max', opts('claude-opus-4-1', undefined, 16000)), {
    thinking: { type: 'enabled', budget_tokens: 24576 },
    max_tokens: 32000,
  });
  // An operator's default above the cap is theirs to choose.
  assert.equal(mapAnthropicThinking('low', opts('claude-opus-4-1', undefined, 40000))?.max_tokens, 40000);
});

test("a client's max_completion_tokens stays: the budget is cut below it, or thinking is left off", () => {
  assert.deepEqual(mapAnthropicThinking('high', opts('claude-3-7-sonnet-20250219', 3000)), {
    thinking: { type: 'enabled', budget_tokens: 2999 },
    max_tokens: 3000,
  });
  assert.deepEqual(mapAnthropicThinking('low', opts('claude-3-7-sonnet-20250219', 64000))?.thinking, { type: 'enabled', budget_tokens: 4096 });
  assert.equal(mapAnthropicThinking('high', opts('claude-3-7-sonnet-20250219', 1024)), undefined, 'budget_tokens must be >= 1024 and < max_tokens');
  assert.equal(mapAnthropicThinking('high', opts('claude-3-7-sonnet-20250219', 1025))?.thinking.type, 'enabled');
});

test('an adaptive model gets adaptive thinking, shown, with the effort as Anthropic names it', () => {
  const cases: Array<[Parameters<typeof mapAnthropicThinking>[0], string, string]> = [
    ['minimal', 'claude-opus-4-7', 'low'],
    ['low', 'claude-opus-4-7', 'low'],
    ['medium', 'claude-opus-4-7', 'medium'],
    ['high', 'claude-opus-4-7', 'high'],
    ['xhigh', 'claude-opus-4-7', 'xhigh'],
    ['xhigh', 'claude-sonnet-4-6', 'max'],
    ['max', 'claude-sonnet-4-6', 'max'],
  ];
  for (const [effort, model, level] of cases) {
    assert.deepEqual(mapAnthropicThinking(effort, opts(model)), {
      thinking: { type: 'adaptive', display: 'summarized' },
      output_config: { effort: level },
      max_tokens: 4096 + THINKING_TOKENS[effort as keyof typeof THINKING_TOKENS],
    }, `${effort} on ${model}`);
  }
  // No budget to fit: a small client limit is kept as is.
  assert.equal(mapAnthropicThinking('high', opts('claude-opus-4-7', 500))?.max_tokens, 500);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { convertAnthropicUsage, sumUsage } from './convert-anthropic-usage.ts';

test('prompt tokens include cache reads and writes; cached_tokens is the cache read', () => {
  const usage = convertAnthropicUsage({ input_tokens: 100, cache_read_input_tokens: 1000, cache_creation_input_tokens: 50, output_tokens: 20 });
  assert.deepEqual(usage, {
    prompt_tokens: 1150,
    completion_tokens: 20,
    total_tokens: 1170,
    prompt_tokens_details: { cached_tokens: 1000, cache_write_tokens: 50 },
  });
});

test('null cache fields count as zero; thinking tokens become reasoning tokens', () => {
  const usage = convertAnthropicUsage({
    input_tokens: 7, output_tokens: 3, cache_read_input_tokens: null, cache_creation_input_tokens: null,
    output_tokens_details: { thinking_tokens: 2 },
  });
  assert.equal(usage.prompt_tokens, 7);
  assert.equal(usage.total_tokens, 10);
  assert.deepEqual(usage.prompt_tokens_details, { cached_tokens: 0 });
  assert.deepEqual(usage.completion_tokens_details, { reasoning_tokens: 2 });
});

test('sumUsage adds n calls together', () => {
  const one = convertAnthropicUsage({ input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 4 });
  const total = sumUsage([one, one, one]);
  assert.equal(total.prompt_tokens, 42);
  assert.equal(total.completion_tokens, 15);
  assert.equal(total.total_tokens, 57);
  assert.equal(total.prompt_tokens_details?.cached_tokens, 12);
});

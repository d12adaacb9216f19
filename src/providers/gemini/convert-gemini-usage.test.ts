import assert from 'node:assert/strict';
import { test } from 'node:test';
import { convertGeminiUsage } from './convert-gemini-usage.ts';

test('usageMetadata → usage: thoughts count as completion and reasoning, modalities and cache in details', () => {
  assert.deepEqual(
    convertGeminiUsage({
      promptTokenCount: 1301, candidatesTokenCount: 13, thoughtsTokenCount: 88, totalTokenCount: 1402, cachedContentTokenCount: 1024,
      promptTokensDetails: [{ modality: 'TEXT', tokenCount: 11 }, { modality: 'IMAGE', tokenCount: 1290 }],
    }),
    {
      prompt_tokens: 1301,
      completion_tokens: 101,
      total_tokens: 1402,
      prompt_tokens_details: { cached_tokens: 1024, text_tokens: 11, image_tokens: 1290 },
      completion_tokens_details: { reasoning_tokens: 88 },
    },
  );
});

test('missing counts are zero; tool-use prompt tokens are prompt tokens', () => {
  const usage = convertGeminiUsage({ promptTokenCount: 10, toolUsePromptTokenCount: 5 });
  assert.equal(usage.prompt_tokens, 15);
  assert.equal(usage.completion_tokens, 0);
  assert.equal(usage.total_tokens, 15);
  assert.deepEqual(convertGeminiUsage(undefined).total_tokens, 0);
});

test('tool-use prompt tokens are text: text + image tokens make up prompt_tokens', () => {
  const usage = convertGeminiUsage({
    promptTokenCount: 1300, toolUsePromptTokenCount: 40, candidatesTokenCount: 10,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: 10 }, { modality: 'IMAGE', tokenCount: 1290 }],
  });
  assert.equal(usage.prompt_tokens, 1340);
  assert.deepEqual(usage.prompt_tokens_details, { cached_tokens: 0, text_tokens: 50, image_tokens: 1290 });
});

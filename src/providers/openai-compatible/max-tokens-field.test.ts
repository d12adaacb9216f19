import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatCompletionRequest } from '../../openai/types.ts';
import { withMaxTokensField } from './max-tokens-field.ts';

const base: ChatCompletionRequest = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };

test('unset: the request goes as sent', () => {
  const request = { ...base, max_completion_tokens: 5 };
  assert.equal(withMaxTokensField(request, undefined), request);
});

test("the client's limit goes under the provider's field, whichever name it came under", () => {
  assert.deepEqual(withMaxTokensField({ ...base, max_completion_tokens: 5 }, 'max_tokens'), { ...base, max_tokens: 5 });
  assert.deepEqual(withMaxTokensField({ ...base, max_tokens: 7 }, 'max_completion_tokens'), { ...base, max_completion_tokens: 7 });
  assert.deepEqual(withMaxTokensField({ ...base, max_tokens: 7 }, 'max_tokens'), { ...base, max_tokens: 7 });
});

test('both sent: max_completion_tokens wins, as at OpenAI; a null one is no limit', () => {
  assert.deepEqual(withMaxTokensField({ ...base, max_tokens: 7, max_completion_tokens: 5 }, 'max_tokens'), { ...base, max_tokens: 5 });
  assert.deepEqual(withMaxTokensField({ ...base, max_tokens: 7, max_completion_tokens: null }, 'max_tokens'), { ...base, max_tokens: 7 });
});

test('no limit: nothing added', () => {
  assert.deepEqual(withMaxTokensField(base, 'max_tokens'), base);
  assert.deepEqual(withMaxTokensField({ ...base, max_tokens: null }, 'max_completion_tokens'), { ...base, max_tokens: null });
});

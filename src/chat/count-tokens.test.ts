import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { countTokens, promptTokens, TokenBudget } from './count-tokens.ts';

test('a text of up to 16 K characters is counted exactly', () => {
  const text = 'The quick brown fox jumps over the lazy dog. '.repeat(300);
  assert.equal(countTokens(text), encode(text).length);
});

test('past 16 K characters the rest is estimated at the rate measured, close to the exact count', () => {
  for (const unit of ['Iris reads images and answers in words. ', '图像识别服务返回文字描述。']) {
    const text = unit.repeat(Math.ceil(100_000 / unit.length));
    const exact = encode(text).length;
    const counted = countTokens(text);
    assert.ok(Math.abs(counted - exact) / exact < 0.02, `${counted} against ${exact} exactly`);
  }
});

test('one prompt shares one allowance: many long messages are not each encoded whole', () => {
  const budget = new TokenBudget();
  const long = 'word '.repeat(10_000);
  budget.count(long);
  // The allowance is spent: what follows is estimated at 1 token per "word " (5 characters).
  assert.equal(budget.count('word '.repeat(1000)), 1000);
  const messages = Array.from({ length: 50 }, () => ({ role: 'user' as const, content: long }));
  const counted = promptTokens({ model: 'm', messages });
  const exact = 3 + messages.length * (3 + encode(long).length);
  assert.ok(Math.abs(counted - exact) / exact < 0.02, `${counted} against ${exact}`);
});

test('a cut between the two halves of a surrogate pair is moved before it', () => {
  const text = `${'a'.repeat(16_383)}😀${'b'.repeat(10)}`;
  assert.ok(countTokens(text) > 0);
});

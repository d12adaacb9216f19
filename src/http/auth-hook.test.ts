import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maskKey } from './auth-hook.ts';

test('a wrong key is shown by its ends, never by much of it', () => {
  assert.equal(maskKey('sk-wrong-0123456789abcdef0000'), 'sk-w****0000');
  assert.equal(maskKey('sk-short-key1'), 'sk****y1', '4 of 13 characters, not 8');
  assert.equal(maskKey('abcdefghij'), '****');
  assert.equal(maskKey(''), '****');
});

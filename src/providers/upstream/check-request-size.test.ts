import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../../openai/api-error.ts';
import { checkRequestSize } from './check-request-size.ts';

test('bodies within the limit pass; larger ones are a 413 naming both sizes', () => {
  checkRequestSize('x'.repeat(100), 100, 'Gemini');
  assert.throws(() => checkRequestSize('é'.repeat(60), 100, 'Gemini'), (err: ApiError) =>
    err.status === 413 && err.code === 'request_too_large' && /0\.0 MB once encoded for Gemini/.test(err.message));
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toApiError } from './error-handler.ts';

test('a stack overflow walking the request (a provider serializing a body thousands of levels deep) is a 400, not a 500', () => {
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = [deep];
  let overflow: unknown;
  try {
    JSON.stringify({ tools: [{ type: 'function', function: { name: 'f', parameters: deep } }] });
  } catch (err) {
    overflow = err;
  }
  const error = toApiError(overflow);
  assert.equal(error.status, 400);
  assert.equal(error.type, 'invalid_request_error');
  assert.equal(error.code, 'nested_too_deeply');
});

test('any other error stays a 500 server_error', () => {
  const error = toApiError(new RangeError('Invalid array length'));
  assert.equal(error.status, 500);
  assert.equal(error.type, 'server_error');
});

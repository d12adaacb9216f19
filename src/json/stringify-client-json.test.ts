import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../openai/api-error.ts';
import { stringifyClientJson } from './stringify-client-json.ts';

test('a value nested too deeply to serialize is a 400 nested_too_deeply', () => {
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = [deep];
  assert.throws(
    () => stringifyClientJson({ tools: [{ type: 'function', function: { name: 'f', parameters: deep } }] }),
    (err: ApiError) => err instanceof ApiError && err.status === 400 && err.type === 'invalid_request_error' && err.code === 'nested_too_deeply',
  );
});

test('other failures keep their meaning, and ordinary values are JSON.stringify', () => {
  assert.throws(() => stringifyClientJson({ n: 1n }), TypeError);
  assert.equal(stringifyClientJson({ a: [1, 'x'] }), '{"a":[1,"x"]}');
});

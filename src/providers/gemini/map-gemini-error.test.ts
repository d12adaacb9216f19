import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { mapGeminiError } from './map-gemini-error.ts';

const fixture = (name: string) => readFileSync(new URL(`../../../test/fixtures/gemini/${name}`, import.meta.url), 'utf8');

test('4xx keep status and message; an invalid API key is a 401', () => {
  const bad = mapGeminiError(400, fixture('error-invalid-argument.json'));
  assert.equal(bad.status, 400);
  assert.equal(bad.type, 'invalid_request_error');
  assert.match(bad.message, /Unsupported MIME type/);
  const key = mapGeminiError(400, fixture('error-api-key.json'));
  assert.equal(key.status, 401);
  assert.equal(key.type, 'authentication_error');
});

test('429 takes Retry-After from the header, else from RetryInfo', () => {
  assert.deepEqual(mapGeminiError(429, fixture('error-rate-limit.json')).headers, { 'retry-after': '26' });
  assert.deepEqual(mapGeminiError(429, fixture('error-rate-limit.json'), { 'retry-after': '4' }).headers, { 'retry-after': '4' });
  assert.equal(mapGeminiError(429, fixture('error-rate-limit.json')).type, 'rate_limit_error');
});

test('503 stays 503 (overloaded), 500 becomes 502, 504 stays a timeout; arrays and non-JSON bodies are read', () => {
  assert.equal(mapGeminiError(503, fixture('error-unavailable.json')).status, 503);
  assert.equal(mapGeminiError(500, '{"error":{"code":500,"message":"Internal error encountered.","status":"INTERNAL"}}').status, 502);
  assert.equal(mapGeminiError(504, '{"error":{"code":504,"message":"Deadline","status":"DEADLINE_EXCEEDED"}}').type, 'timeout_error');
  assert.equal(mapGeminiError(400, '[{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT"}}]').message, 'bad');
  assert.match(mapGeminiError(502, 'upstream connect error').message, /HTTP 502: upstream connect error/);
});

test('499 CANCELLED is Gemini cancelling on its side (backendError): a retryable 502, never a client-closed 499', () => {
  const body = '[{"error":{"code":499,"message":"The operation was cancelled.","errors":[{"message":"The operation was cancelled.","domain":"global","reason":"backendError"}],"status":"CANCELLED"}}]';
  const err = mapGeminiError(499, body);
  assert.equal(err.status, 502);
  assert.equal(err.type, 'upstream_error');
  assert.equal(err.code, 'CANCELLED');
  assert.equal(err.message, 'The operation was cancelled.');
});

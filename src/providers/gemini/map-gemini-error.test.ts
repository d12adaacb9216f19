import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { mapGeminiError } from './map-gemini-error.ts';

const fixture = (name: string) => readFileSync(new URL(`../../../test/fixtures/gemini/${name}`, import.meta.url), 'utf8');

test('4xx keep status and message; an invalid API key is a 401', () => {
  const bad = mapGeminiError('g', 400, fixture('error-invalid-argument.json'));
  assert.equal(bad.status, 400);
  assert.equal(bad.type, 'invalid_request_error');
  assert.match(bad.message, /Unsupported MIME type/);
  const key = mapGeminiError('g', 400, fixture('error-api-key.json'));
  assert.equal(key.status, 401);
  assert.equal(key.type, 'authentication_error');
});

test('429 takes Retry-After from the header, else from RetryInfo', () => {
  assert.deepEqual(mapGeminiError('g', 429, fixture('error-rate-limit.json')).headers, { 'retry-after': '26' });
  assert.deepEqual(mapGeminiError('g', 429, fixture('error-rate-limit.json'), { 'retry-after': '4' }).headers, { 'retry-after': '4' });
  assert.equal(mapGeminiError('g', 429, fixture('error-rate-limit.json')).type, 'rate_limit_error');
});

test('503 stays 503 (overloaded), 500 becomes 502, 504 stays a timeout; arrays and non-JSON bodies are read', () => {
  assert.equal(mapGeminiError('g', 503, fixture('error-unavailable.json')).status, 503);
  assert.equal(mapGeminiError('g', 500, '{"error":{"code":500,"message":"Internal error encountered.","status":"INTERNAL"}}').status, 502);
  assert.equal(mapGeminiError('g', 504, '{"error":{"code":504,"message":"Deadline","status":"DEADLINE_EXCEEDED"}}').type, 'timeout_error');
  assert.equal(mapGeminiError('g', 400, '[{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT"}}]').message, 'bad');
  assert.match(mapGeminiError('g', 502, 'upstream connect error').message, /HTTP 502: upstream connect error/);
});

test('499 CANCELLED is Gemini cancelling on its side (backendError): a retryable 502, never a client-closed 499', () => {
  const body = '[{"error":{"code":499,"message":"The operation was cancelled.","errors":[{"message":"The operation was cancelled.","domain":"global","reason":"backendError"}],"status":"CANCELLED"}}]';
  const err = mapGeminiError('g', 499, body);
  assert.equal(err.status, 502);
  assert.equal(err.type, 'upstream_error');
  assert.equal(err.code, 'CANCELLED');
  assert.equal(err.message, 'The operation was cancelled.');
});

test('a 404 that is no Google error (a wrong path gets an HTML page) names the provider and its base_url', () => {
  const err = mapGeminiError('gem', 404, '<!DOCTYPE html><html lang=en><title>Error 404 (Not Found)!!1</title><p><b>404.</b> That’s an error.');
  assert.equal(err.status, 404);
  assert.equal(err.code, 'upstream_not_found');
  assert.match(err.message, /^The upstream provider 'gem' serves no chat endpoint at the URL Iris called \(HTTP 404: Error 404 \(Not Found\)!!1\); check providers\.gem\.base_url\.$/);
  // Gemini's own 404 (a model it does not know) stays as it is.
  const own = mapGeminiError('gem', 404, '{"error":{"code":404,"message":"models/x is not found for API version v1beta","status":"NOT_FOUND"}}');
  assert.equal(own.message, 'models/x is not found for API version v1beta');
  assert.equal(own.code, 'NOT_FOUND');
});

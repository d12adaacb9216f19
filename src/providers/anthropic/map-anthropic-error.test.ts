import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { mapAnthropicError, mapAnthropicStreamError } from './map-anthropic-error.ts';

const fixture = (name: string) => readFileSync(new URL(`../../../test/fixtures/anthropic/${name}`, import.meta.url), 'utf8');

test('4xx keep status and message', () => {
  const err = mapAnthropicError('a', 400, fixture('error-invalid-request.json'));
  assert.equal(err.status, 400);
  assert.equal(err.type, 'invalid_request_error');
  assert.match(err.message, /image exceeds 5 MB maximum/);
  assert.equal(mapAnthropicError('a', 401, '{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}').status, 401);
  assert.equal(mapAnthropicError('a', 404, '{"type":"error","error":{"type":"not_found_error","message":"model: nope"}}').type, 'not_found_error');
});

test('429 keeps Retry-After; 529 becomes 503 overloaded; other 5xx become 502', () => {
  const limited = mapAnthropicError('a', 429, fixture('error-rate-limit.json'), { 'retry-after': '17', 'anthropic-ratelimit-requests-remaining': '0' });
  assert.equal(limited.status, 429);
  assert.equal(limited.type, 'rate_limit_error');
  assert.deepEqual(limited.headers, { 'retry-after': '17' });
  const overloaded = mapAnthropicError('a', 529, fixture('error-overloaded.json'));
  assert.equal(overloaded.status, 503);
  assert.equal(overloaded.type, 'overloaded_error');
  assert.equal(overloaded.message, 'Overloaded');
  const internal = mapAnthropicError('a', 500, '{"type":"error","error":{"type":"api_error","message":"Internal server error"}}');
  assert.equal(internal.status, 502);
  assert.equal(internal.type, 'upstream_error');
});

test('a body that is not JSON still gives a useful message', () => {
  const err = mapAnthropicError('a', 502, '<html>Bad gateway</html>');
  assert.equal(err.status, 502);
  assert.match(err.message, /HTTP 502.*Bad gateway/);
});

test('stream error events map by their type', () => {
  assert.equal(mapAnthropicStreamError({ type: 'overloaded_error', message: 'Overloaded' }).status, 503);
  assert.equal(mapAnthropicStreamError({ type: 'api_error', message: 'x' }).status, 502);
  assert.equal(mapAnthropicStreamError({ type: 'rate_limit_error', message: 'x' }).status, 429);
});

test('a 413 without Anthropic’s JSON body (Cloudflare answers it) still says request_too_large', () => {
  const err = mapAnthropicError('a', 413, '<html><head><title>413 Request Entity Too Large</title></head></html>');
  assert.equal(err.status, 413);
  assert.equal(err.type, 'invalid_request_error');
  assert.equal(err.code, 'request_too_large');
  assert.equal(mapAnthropicError('a', 413, '{"type":"error","error":{"type":"request_too_large","message":"Request exceeds the maximum allowed number of bytes."}}').code, 'request_too_large');
});

test('a 404 that is no Anthropic error (a proxy or server page) names the provider and its base_url', () => {
  const err = mapAnthropicError('claude', 404, '<html><head><title>404 Not Found</title></head><body>nginx</body></html>');
  assert.equal(err.status, 404);
  assert.equal(err.code, 'upstream_not_found');
  assert.equal(err.message, "The upstream provider 'claude' serves no chat endpoint at the URL Iris called (HTTP 404: 404 Not Found); check providers.claude.base_url.");
  // Anthropic's own 404 (a model it does not know) stays as it is.
  assert.equal(mapAnthropicError('claude', 404, '{"type":"error","error":{"type":"not_found_error","message":"model: nope"}}').message, 'model: nope');
});

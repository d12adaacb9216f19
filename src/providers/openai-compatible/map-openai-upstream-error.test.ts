import assert from 'node:assert/strict';
import { it } from 'node:test';
import { errorInAnswer, mapOpenAIUpstreamError, readErrorBody } from './map-openai-upstream-error.ts';

const wire = (err: { status: number; toBody(): unknown }) => ({ status: err.status, ...(err.toBody() as object) });

it('reads every dialect, never passing an HTTP status or "None" on as code or param', () => {
  assert.deepEqual(readErrorBody({ object: 'error', message: 'm', type: 'BadRequestError', param: null, code: 400 }), { message: 'm', type: undefined, code: null, param: null, status: 400, fromApi: true });
  assert.deepEqual(readErrorBody({ error: { message: 'm', type: 'None', param: 'None', code: '400' } }), { message: 'm', type: undefined, code: null, param: null, status: 400, fromApi: true });
  assert.deepEqual(readErrorBody({ error: 'plain', error_type: 'validation' }), { message: 'plain', type: undefined, code: null, param: null, status: undefined, fromApi: true });
  assert.equal(readErrorBody({ error: { message: 'Provider returned error', code: 400, metadata: { raw: 'not json', provider_name: 'X' } } }).message, 'Provider returned error (X: not json)');
  assert.equal(readErrorBody({ detail: 'Not Found' }).message, 'Not Found');
  assert.equal(readErrorBody({ detail: [{ loc: ['body', 'n'], msg: 'too big' }, { msg: 'bad' }, 7] }).message, 'body.n: too big; bad');
  assert.equal(readErrorBody({ detail: [] }).message, undefined);
});

it('reads a body that is not JSON as text: an HTML page as its title or its text', () => {
  assert.equal(mapOpenAIUpstreamError('p', 429, ' error code: 1015 ', {}).message, 'error code: 1015');
  assert.equal(mapOpenAIUpstreamError('p', 400, '<!DOCTYPE html><html><head><title> Attention Required! | Cloudflare </title></head></html>', {}).message, 'Attention Required! | Cloudflare');
  assert.equal(mapOpenAIUpstreamError('p', 403, '<html><body><h1>Not</h1>\n<p>here</p></body></html>', {}).message.endsWith(': Not here'), true);
  assert.equal(mapOpenAIUpstreamError('p', 400, '', {}).message, 'HTTP 400');
});

it('a 404 that is no API error (a server or framework page) names the provider and its base_url', () => {
  const expected = (said: string) => ({
    status: 404,
    error: { message: `The upstream provider 'p' serves no chat endpoint at the URL Iris called (HTTP 404: ${said}); check providers.p.base_url.`, type: 'invalid_request_error', param: null, code: 'upstream_not_found' },
  });
  assert.deepEqual(wire(mapOpenAIUpstreamError('p', 404, '{"detail":"Not Found"}', {})), expected('Not Found'));
  assert.deepEqual(wire(mapOpenAIUpstreamError('p', 404, '<html><body><h1>Not</h1>\n<p>here</p></body></html>', {})), expected('Not here'));
  assert.deepEqual(wire(mapOpenAIUpstreamError('p', 404, '404 page not found\n', {})), expected('404 page not found'));
  assert.deepEqual(wire(mapOpenAIUpstreamError('p', 404, '', {})), expected('HTTP 404'));
  // The API's own 404s (a model it does not know: OpenAI, vLLM, Ollama) are passed on as they are.
  assert.deepEqual(wire(mapOpenAIUpstreamError('p', 404, '{"error":{"message":"The model `x` does not exist","type":"invalid_request_error","param":null,"code":"model_not_found"}}', {})), {
    status: 404,
    error: { message: 'The model `x` does not exist', type: 'invalid_request_error', param: null, code: 'model_not_found' },
  });
  assert.equal(mapOpenAIUpstreamError('p', 404, '{"object":"error","message":"The model `x` does not exist.","type":"NotFoundError","param":null,"code":404}', {}).message, 'The model `x` does not exist.');
  assert.equal(mapOpenAIUpstreamError('p', 404, '{"error":{"message":"model \\"x\\" not found, try pulling it first","type":"api_error","param":null,"code":null}}', {}).message, 'model "x" not found, try pulling it first');
});

it('maps statuses as OpenAI clients expect', () => {
  assert.deepEqual(wire(mapOpenAIUpstreamError('p', 400, '{"error":{"code":400,"message":"too long","type":"exceed_context_size_error"}}', {})), {
    status: 400,
    error: { message: 'too long', type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' },
  });
  assert.equal(mapOpenAIUpstreamError('p', 424, '{"error":"Request failed during generation","error_type":"generation"}', {}).status, 502);
  assert.equal(errorInAnswer('p', { error: { message: 'x', code: 429 } })?.status, 429);
  assert.equal(errorInAnswer('p', { error: { message: 'x' } })?.status, 502);
  assert.equal(errorInAnswer('p', { choices: [] }), undefined);
});

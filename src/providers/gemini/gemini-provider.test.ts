import assert from 'node:assert/strict';
import { test } from 'node:test';
import { providerConfigSchema } from '../../config/providers-config.ts';
import { ApiError } from '../../openai/api-error.ts';
import type { ChatCompletionRequest } from '../../openai/types.ts';
import {
  FAKE_GEMINI_KEY, geminiError, geminiResponse, geminiStreamEvents, startFakeGemini, type FakeGeminiUpstream,
} from '../../../test/support/fake-gemini-upstream.ts';
import { callContext as ctx, drain, onFakeUpstream } from '../../../test/support/provider-on-fake-upstream.ts';
import type { Provider } from '../provider.ts';
import { createGeminiProvider, type GeminiProviderConfig } from './gemini-provider.ts';

let fake: FakeGeminiUpstream;
let provider: Provider;
const config = (extra: Record<string, unknown> = {}) =>
  providerConfigSchema.parse({ type: 'gemini', base_url: fake.baseUrl, api_key: FAKE_GEMINI_KEY, ...extra }) as GeminiProviderConfig;
const ask = (extra: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest => ({
  model: 'gemini-2.5-flash',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] },
  ],
  ...extra,
});

onFakeUpstream(startFakeGemini, (started) => {
  fake = started;
  return (provider = createGeminiProvider('gem', config()));
});

test('complete posts generateContent with the key header and answers in OpenAI shape', async () => {
  const out = await provider.complete(ask({ max_tokens: 100, temperature: 0.3 }), ctx());
  const sent = fake.requests[0];
  assert.equal(sent.path, '/v1beta/models/gemini-2.5-flash:generateContent');
  assert.equal(sent.headers['x-goog-api-key'], FAKE_GEMINI_KEY);
  assert.deepEqual(sent.body.systemInstruction, { parts: [{ text: 'Be brief.' }] });
  assert.deepEqual(sent.body.contents[0].parts[1], { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } });
  assert.deepEqual(sent.body.generationConfig, { temperature: 0.3, maxOutputTokens: 100 });
  assert.match(out.choices[0].message.content ?? '', /^I see 1 image in 1 message\./);
  assert.equal(out.choices[0].finish_reason, 'stop');
  assert.ok(out.usage!.prompt_tokens >= 258);
  assert.equal(out.usage!.prompt_tokens_details?.image_tokens, 258);
});

test('stream posts streamGenerateContent?alt=sse and ends with finish and usage chunks', async () => {
  const chunks = await drain(provider.stream(ask({ stream: true }), ctx()));
  assert.equal(fake.requests[0].path, '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  assert.match(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), /^I see 1 image/);
  assert.equal(chunks.at(-2)!.choices[0].finish_reason, 'stop');
  assert.deepEqual(chunks.at(-1)!.choices, []);
  assert.ok(chunks.at(-1)!.usage!.completion_tokens > 0);
});

test('n becomes candidateCount and the candidates become choices', async () => {
  const out = await provider.complete(ask({ n: 3 }), ctx());
  assert.equal(fake.requests.length, 1);
  assert.equal(fake.requests[0].body.generationConfig.candidateCount, 3);
  assert.deepEqual(out.choices.map((c) => c.index), [0, 1, 2]);
});

test('a tool round trip: the call comes back as tool_calls, the result goes up as functionResponse', async () => {
  const tools: ChatCompletionRequest['tools'] = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }];
  const first = await provider.complete(ask({ tools, tool_choice: 'required' }), ctx());
  const call = first.choices[0].message.tool_calls![0];
  assert.equal(first.choices[0].finish_reason, 'tool_calls');
  assert.deepEqual(JSON.parse(call.function.arguments), { q: 'fake' });
  const second = await provider.complete(ask({
    tools,
    messages: [...ask().messages, { role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: call.id, content: 'found it' }],
  }), ctx());
  assert.deepEqual(fake.requests[1].body.contents.at(-1), { role: 'user', parts: [{ functionResponse: { name: 'lookup', response: { content: 'found it' } } }] });
  assert.equal(second.choices[0].message.content, 'The tool said: {"content":"found it"}');
});

test('safety blocks are content_filter', async () => {
  fake.enqueue({ kind: 'json', body: geminiResponse({ blockReason: 'SAFETY' }) });
  const out = await provider.complete(ask(), ctx());
  assert.equal(out.choices[0].finish_reason, 'content_filter');
  fake.enqueue({ kind: 'sse', events: geminiStreamEvents(geminiResponse({ candidates: [{ finishReason: 'SAFETY' }] })) });
  const chunks = await drain(provider.stream(ask(), ctx()));
  assert.equal(chunks.at(-2)!.choices[0].finish_reason, 'content_filter');
});

test('errors: a wrong key is 401, 429 keeps its retry delay, 503 stays 503, 500 is 502', async () => {
  const wrong = createGeminiProvider('bad', config({ api_key: 'nope' }));
  await assert.rejects(wrong.complete(ask(), ctx()), (err: ApiError) => err.status === 401);
  await wrong.close?.();
  fake.enqueue(geminiError(429, 'Resource has been exhausted (e.g. check quota).', { details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '9s' }] }));
  await assert.rejects(provider.complete(ask(), ctx()), (err: ApiError) => err.status === 429 && err.headers['retry-after'] === '9');
  fake.enqueue(geminiError(503, 'The model is overloaded.'));
  await assert.rejects(drain(provider.stream(ask(), ctx())), (err: ApiError) => err.status === 503);
  fake.enqueue(geminiError(500, 'Internal error encountered.'));
  await assert.rejects(provider.complete(ask(), ctx()), (err: ApiError) => err.status === 502);
});

test('a 200 that is not a response is a 502 naming the provider', async () => {
  const bad = (pattern: RegExp) => (err: ApiError) =>
    err.status === 502 && err.type === 'upstream_error' && err.code === 'upstream_bad_response' && pattern.test(err.message);
  fake.enqueue({ kind: 'text', body: '<html><body>Bad gateway</body></html>', headers: { 'content-type': 'text/html' } });
  await assert.rejects(provider.complete(ask(), ctx()), bad(/^The upstream provider 'gem' sent a response that is not JSON\.$/));
  fake.enqueue({ kind: 'json', body: { usageMetadata: {} } });
  await assert.rejects(provider.complete(ask(), ctx()), bad(/^The upstream provider 'gem' sent a response without candidates\.$/));
});

test('timeouts are 504 and a stream that dies halfway is an error', async () => {
  const slow = createGeminiProvider('slow', config({ timeout_ms: 300 }));
  fake.enqueue({ kind: 'hang' });
  await assert.rejects(slow.complete(ask(), ctx()), (err: ApiError) => err.status === 504 && err.type === 'timeout_error');
  await slow.close?.();
  const events = geminiStreamEvents(geminiResponse({ candidates: [{ text: 'A long answer that will never be finished by the model.' }] }));
  fake.enqueue({ kind: 'sse', events, dieAfter: 2 });
  const seen: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const c of provider.stream(ask(), ctx())) seen.push(c.choices[0]?.delta.content ?? '');
    })(),
    (err: ApiError) => err instanceof ApiError && err.status === 502,
  );
  assert.equal(seen.join(''), 'A long answer th');
});

test('image limits: inline only, no GIF, Iris fetches URLs; base_url may carry /v1beta', async () => {
  assert.equal(provider.imageLimits.acceptsUrls, false);
  assert.deepEqual(provider.imageLimits.formats, ['jpeg', 'png', 'webp']);
  assert.equal(provider.fetchUrls, 'iris');
  const versioned = createGeminiProvider('v', config({ base_url: `${fake.baseUrl}/v1beta` }));
  await versioned.complete(ask(), ctx());
  await versioned.close?.();
  assert.equal(fake.requests[0].path, '/v1beta/models/gemini-2.5-flash:generateContent');
});

test('a request over Gemini’s 20 MB inline limit is a 413 before anything is sent', async () => {
  const big = `data:image/png;base64,${'A'.repeat(21_000_000)}`;
  await assert.rejects(
    provider.complete(ask({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: big } }] }] }), ctx()),
    (err: ApiError) => err.status === 413 && err.code === 'request_too_large',
  );
  assert.equal(fake.requests.length, 0);
});

test('a function call Gemini could not make (MALFORMED_FUNCTION_CALL) is a 502 naming the provider and the reason', async () => {
  fake.enqueue({ kind: 'json', body: geminiResponse({ candidates: [{ finishReason: 'MALFORMED_FUNCTION_CALL' }] }) });
  await assert.rejects(provider.complete(ask(), ctx()), (err: ApiError) => {
    assert.equal(err.status, 502);
    assert.match(err.message, /^The upstream provider 'gem' failed: Gemini stopped the answer: .* \(MALFORMED_FUNCTION_CALL\)\.$/);
    return true;
  });
});

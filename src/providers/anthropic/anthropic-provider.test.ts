import assert from 'node:assert/strict';
import { test } from 'node:test';
import { providerConfigSchema } from '../../config/providers-config.ts';
import { ApiError } from '../../openai/api-error.ts';
import type { ChatCompletionRequest } from '../../openai/types.ts';
import {
  anthropicError, anthropicMessage, anthropicStreamEvents, FAKE_ANTHROPIC_KEY, startFakeAnthropic, type FakeAnthropicUpstream,
} from '../../../test/support/fake-anthropic-upstream.ts';
import { callContext as ctx, drain, onFakeUpstream } from '../../../test/support/provider-on-fake-upstream.ts';
import type { Provider } from '../provider.ts';
import { createAnthropicProvider, type AnthropicProviderConfig } from './anthropic-provider.ts';

let fake: FakeAnthropicUpstream;
let provider: Provider;
const config = (extra: Record<string, unknown> = {}) =>
  providerConfigSchema.parse({ type: 'anthropic', base_url: fake.baseUrl, api_key: FAKE_ANTHROPIC_KEY, ...extra }) as AnthropicProviderConfig;
const ask = (extra: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest => ({
  model: 'claude-fake-1',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] }],
  ...extra,
});

onFakeUpstream(startFakeAnthropic, (started) => {
  fake = started;
  return (provider = createAnthropicProvider('claude', config()));
});

test('complete sends the Messages API request with its headers and answers in OpenAI shape', async () => {
  const out = await provider.complete(ask({ max_tokens: 300 }), ctx());
  const sent = fake.requests[0];
  assert.equal(sent.path, '/v1/messages');
  assert.equal(sent.headers['x-api-key'], FAKE_ANTHROPIC_KEY);
  assert.equal(sent.headers['anthropic-version'], '2023-06-01');
  assert.equal(sent.body.max_tokens, 300);
  assert.equal(sent.body.messages[0].content[1].source.type, 'base64');
  assert.equal(out.object, 'chat.completion');
  assert.equal(out.choices[0].message.content?.startsWith('I see 1 image in 1 message.'), true);
  assert.equal(out.choices[0].finish_reason, 'stop');
  assert.ok(out.usage && out.usage.prompt_tokens > 0 && out.usage.total_tokens === out.usage.prompt_tokens + out.usage.completion_tokens);
});

test('the default max_tokens from config is sent when the client gives none', async () => {
  const p = createAnthropicProvider('c2', config({ default_max_tokens: 5 }));
  const out = await p.complete(ask(), ctx());
  await p.close?.();
  assert.equal(fake.requests[0].body.max_tokens, 5);
  assert.equal(out.choices[0].finish_reason, 'length');
});

test('stream yields role, content, finish and a final usage chunk', async () => {
  const chunks = await drain(provider.stream(ask({ stream: true }), ctx()));
  assert.equal(fake.requests[0].body.stream, true);
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  assert.match(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), /^I see 1 image/);
  assert.equal(chunks.at(-2)!.choices[0].finish_reason, 'stop');
  assert.deepEqual(chunks.at(-1)!.choices, []);
  assert.ok(chunks.at(-1)!.usage!.prompt_tokens > 0);
});

test('n=3 makes three calls side by side and merges the choices', async () => {
  const out = await provider.complete(ask({ n: 3 }), ctx());
  assert.equal(fake.requests.length, 3);
  assert.deepEqual(out.choices.map((c) => c.index), [0, 1, 2]);
  const single = await provider.complete(ask(), ctx());
  assert.equal(out.usage!.total_tokens, 3 * single.usage!.total_tokens);
});

test('n=2 streams as two choices with one usage chunk', async () => {
  const chunks = await drain(provider.stream(ask({ n: 2, stream: true }), ctx()));
  assert.equal(fake.requests.length, 2);
  assert.deepEqual(new Set(chunks.flatMap((c) => c.choices.map((ch) => ch.index))), new Set([0, 1]));
  assert.equal(chunks.filter((c) => c.choices.length === 0).length, 1);
  assert.equal(chunks.filter((c) => c.choices[0]?.finish_reason).length, 2);
});

test('upstream 429 keeps Retry-After, 529 becomes 503, 401 stays 401', async () => {
  fake.enqueue(anthropicError(429, 'rate_limit_error', 'slow down', { 'retry-after': '12' }));
  await assert.rejects(provider.complete(ask(), ctx()), (err: ApiError) => err.status === 429 && err.headers['retry-after'] === '12');
  fake.enqueue(anthropicError(529, 'overloaded_error', 'Overloaded'));
  await assert.rejects(drain(provider.stream(ask(), ctx())), (err: ApiError) => err.status === 503 && err.type === 'overloaded_error');
  const wrongKey = createAnthropicProvider('bad', config({ api_key: 'nope' }));
  await assert.rejects(wrongKey.complete(ask(), ctx()), (err: ApiError) => err.status === 401 && /x-api-key/.test(err.message));
  await wrongKey.close?.();
});

test('a 200 that is not a message is a 502 naming the provider', async () => {
  const bad = (pattern: RegExp) => (err: ApiError) =>
    err.status === 502 && err.type === 'upstream_error' && err.code === 'upstream_bad_response' && pattern.test(err.message);
  fake.enqueue({ kind: 'text', body: '<html><body>Bad gateway</body></html>', headers: { 'content-type': 'text/html' } });
  await assert.rejects(provider.complete(ask(), ctx()), bad(/^The upstream provider 'claude' sent a response that is not JSON\.$/));
  fake.enqueue({ kind: 'json', body: { type: 'message' } });
  await assert.rejects(provider.complete(ask(), ctx()), bad(/^The upstream provider 'claude' sent a response without content\.$/));
});

test('an upstream that does not answer in timeout_ms is a 504 timeout_error', async () => {
  const slow = createAnthropicProvider('slow', config({ timeout_ms: 300 }));
  fake.enqueue({ kind: 'hang' });
  const started = Date.now();
  await assert.rejects(slow.complete(ask(), ctx()), (err: ApiError) => err.status === 504 && err.type === 'timeout_error');
  assert.ok(Date.now() - started < 3000);
  await slow.close?.();
});

test('a stream whose connection dies halfway ends with an ApiError after the text so far', async () => {
  const events = anthropicStreamEvents(anthropicMessage({ text: 'This answer will be cut off somewhere in the middle.' }));
  fake.enqueue({ kind: 'sse', events, dieAfter: 5 });
  const seen: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const c of provider.stream(ask(), ctx())) seen.push(c.choices[0]?.delta.content ?? '');
    })(),
    (err: ApiError) => err instanceof ApiError && err.status === 502,
  );
  assert.ok(seen.join('').length > 0);
});

test('the client going away aborts the upstream call', async () => {
  fake.enqueue({ kind: 'hang' });
  const controller = new AbortController();
  const pending = provider.complete(ask(), { ...ctx(), signal: controller.signal });
  setTimeout(() => controller.abort(), 50);
  await assert.rejects(pending);
});

test('image limits and URL fetching follow the reference and the config', () => {
  assert.deepEqual(provider.imageLimits.formats, ['jpeg', 'png', 'gif', 'webp']);
  assert.equal(provider.imageLimits.acceptsUrls, true);
  assert.equal(provider.imageLimits.maxEdge, 8000);
  assert.equal(provider.imageLimits.maxImages, 100);
  assert.equal(provider.fetchUrls, 'upstream');
  const own = createAnthropicProvider('x', config({ image_limits: { max_images: 5 }, fetch_urls: 'iris' }));
  assert.equal(own.imageLimits.maxImages, 5);
  assert.equal(own.fetchUrls, 'iris');
});

test('an upstream that refuses connections is a 502 upstream_unreachable', async () => {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const gone = createAnthropicProvider('gone', config({ base_url: `http://127.0.0.1:${port}` }));
  await assert.rejects(gone.complete(ask(), ctx()), (err: ApiError) => err.status === 502 && err.code === 'upstream_unreachable');
  await gone.close?.();
});

// The fake upstream is checked the way a real client sees it: the official openai SDK pointed
// straight at it, and every body it sends checked against OpenAI's schemas.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, afterEach, before, describe, it } from 'node:test';
import OpenAI, {
  APIConnectionTimeoutError,
  APIError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
} from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import type { ChatCompletionRequest } from '../../src/openai/types.ts';
import { fakeReply, readChunksFixture, startFakeOpenAI, type FakeOpenAI } from './fake-openai-upstream.ts';
import { assertChatCompletion, assertChatCompletionChunk, assertErrorResponse, assertModelList } from './openai-schemas.ts';

const API_KEY = 'sk-test-fake-upstream';
// 1x1 PNG, enough for a data URL the fake only counts.
const PNG_DATA_URL =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';

let fake: FakeOpenAI;
let client: OpenAI;

before(async () => {
  fake = await startFakeOpenAI({ apiKey: API_KEY, models: ['gpt-4o-mini', 'gpt-4o'] });
  client = new OpenAI({ apiKey: API_KEY, baseURL: fake.url, maxRetries: 0 });
});
afterEach(() => fake.reset());
after(() => fake.close());

const imageRequest: ChatCompletionCreateParamsNonStreaming = {
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'You describe images.' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is in these pictures?' },
        { type: 'image_url', image_url: { url: PNG_DATA_URL, detail: 'low' } },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
      ],
    },
  ],
};

async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

async function rawPost(body: unknown): Promise<Response> {
  return fetch(`${fake.url}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('non-streamed completions', () => {
  it('answers a realistic chat.completion derived from the request', async () => {
    const { data, response, request_id } = await client.chat.completions.create(imageRequest).withResponse();
    assertChatCompletion(data);
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.match(request_id ?? '', /^req_[0-9a-f]{32}$/);
    assert.match(data.id, /^chatcmpl-[A-Za-z0-9]{29}$/);
    assert.match(data.system_fingerprint ?? '', /^fp_[0-9a-f]{10}$/);
    assert.equal(data.model, 'gpt-4o-mini');
    assert.ok(Math.abs(data.created - Date.now() / 1000) < 5);
    assert.equal(data.choices.length, 1);
    assert.equal(data.choices[0].message.content, 'I see 2 images. You said: What is in these pictures?');
    assert.equal(data.choices[0].finish_reason, 'stop');

    const usage = data.usage!;
    assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
    assert.equal(usage.completion_tokens, 11);
    assert.ok(usage.prompt_tokens > 85 + 765, 'images are counted in the prompt');
    assert.deepEqual(usage.prompt_tokens_details, { cached_tokens: 0, audio_tokens: 0 });
    assert.equal(usage.completion_tokens_details?.reasoning_tokens, 0);
  });

  it('records the request as sent', async () => {
    await client.chat.completions.create(imageRequest);
    assert.equal(fake.requests.length, 1);
    const [recorded] = fake.requests;
    assert.equal(recorded.method, 'POST');
    assert.equal(recorded.path, '/v1/chat/completions');
    assert.equal(recorded.headers.authorization, `Bearer ${API_KEY}`);
    assert.deepEqual(recorded.body, imageRequest);
    assert.equal(recorded.aborted, false);
  });

  it('answers n choices, honours stop sequences and truncates at max_tokens', async () => {
    const request = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'alpha beta gamma delta' }] };
    const several = await client.chat.completions.create({ ...request, n: 3 });
    assertChatCompletion(several);
    assert.deepEqual(several.choices.map((c) => c.index), [0, 1, 2]);
    assert.equal(new Set(several.choices.map((c) => c.message.content)).size, 3);

    const stopped = await client.chat.completions.create({ ...request, stop: ['gamma', 'zzz'] });
    assert.equal(stopped.choices[0].message.content, 'I see 0 images. You said: alpha beta ');
    assert.equal(stopped.choices[0].finish_reason, 'stop');

    const truncated = await client.chat.completions.create({ ...request, max_tokens: 3 });
    assert.equal(truncated.choices[0].message.content, 'I see 0');
    assert.equal(truncated.choices[0].finish_reason, 'length');
    assert.equal(truncated.usage?.completion_tokens, 3);
    const newer = await client.chat.completions.create({ ...request, max_completion_tokens: 2 });
    assert.equal(newer.choices[0].message.content, 'I see');
  });

  it('calls the named tool with arguments that fit its parameters', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      tools: [
        { type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } },
        {
          type: 'function',
          function: {
            name: 'get_weather',
            parameters: {
              type: 'object',
              properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
              required: ['city', 'unit'],
            },
          },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    assertChatCompletion(completion);
    const choice = completion.choices[0];
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.content, null);
    const calls = choice.message.tool_calls ?? [];
    assert.equal(calls.length, 1);
    assert.equal(calls[0].type, 'function');
    assert.match(calls[0].id, /^call_[A-Za-z0-9]{24}$/);
    if (calls[0].type !== 'function') return;
    assert.equal(calls[0].function.name, 'get_weather');
    assert.deepEqual(JSON.parse(calls[0].function.arguments), { city: 'Weather in Oslo?', unit: 'celsius' });
  });

  it('answers without tool calls when tool_choice is auto', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ type: 'function', function: { name: 'f' } }],
      tool_choice: 'auto',
    });
    assert.equal(completion.choices[0].message.tool_calls, undefined);
    assert.equal(completion.choices[0].finish_reason, 'stop');
  });
});

describe('streams', () => {
  it('streams role, content, finish and usage chunks, then [DONE]', async () => {
    const stream = await client.chat.completions.create({ ...imageRequest, stream: true, stream_options: { include_usage: true } });
    const chunks = await collect(stream);
    for (const chunk of chunks) assertChatCompletionChunk(chunk);

    assert.equal(new Set(chunks.map((c) => c.id)).size, 1, 'one id for the whole stream');
    assert.equal(new Set(chunks.map((c) => c.created)).size, 1);
    assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '', refusal: null });
    const usageChunk = chunks.at(-1)!;
    assert.deepEqual(usageChunk.choices, []);
    assert.equal(usageChunk.usage?.completion_tokens, 11);
    for (const chunk of chunks.slice(0, -1)) assert.equal(chunk.usage, null);
    const finish = chunks.at(-2)!;
    assert.deepEqual(finish.choices[0].delta, {});
    assert.equal(finish.choices[0].finish_reason, 'stop');

    const text = chunks.flatMap((c) => c.choices.map((choice) => choice.delta.content ?? '')).join('');
    assert.equal(text, fakeReply(imageRequest as ChatCompletionRequest).content);
  });

  it('sends no usage field at all unless include_usage is set, and ends the wire with data: [DONE]', async () => {
    const response = await rawPost({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hello' }] });
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const wire = await response.text();
    assert.ok(wire.endsWith('data: [DONE]\n\n'), wire.slice(-40));
    const events = wire.split('\n\n').filter(Boolean).map((event) => event.replace(/^data: /, ''));
    assert.equal(events.at(-1), '[DONE]');
    for (const event of events.slice(0, -1)) {
      const chunk = JSON.parse(event) as Record<string, unknown>;
      assertChatCompletionChunk(chunk);
      assert.equal('usage' in chunk, false);
    }
  });

  it('streams tool calls as deltas by index that the SDK helper assembles', async () => {
    const runner = client.chat.completions.stream({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Oslo' }],
      tools: [
        { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
        { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } } },
      ],
      tool_choice: 'required',
      stream_options: { include_usage: true },
    });
    const chunks: ChatCompletionChunk[] = [];
    runner.on('chunk', (chunk) => chunks.push(chunk));
    const final = await runner.finalChatCompletion();

    for (const chunk of chunks) assertChatCompletionChunk(chunk);
    const argumentDeltas = chunks.flatMap((c) => c.choices.flatMap((ch) => ch.delta.tool_calls ?? [])).filter((t) => t.id === undefined);
    assert.ok(argumentDeltas.length > 2, 'arguments arrive in fragments');
    assert.equal(final.choices[0].finish_reason, 'tool_calls');
    const calls = final.choices[0].message.tool_calls ?? [];
    assert.deepEqual(
      calls.map((call) => (call.type === 'function' ? [call.function.name, JSON.parse(call.function.arguments)] : null)),
      [
        ['get_weather', { city: 'Oslo' }],
        ['get_time', { zone: 'Oslo' }],
      ],
    );
    assert.ok((final.usage?.completion_tokens ?? 0) > 0);
  });

  it('interleaves the choices of an n>1 stream', async () => {
    const chunks = await collect(
      await client.chat.completions.create({ model: 'gpt-4o', n: 2, stream: true, messages: [{ role: 'user', content: 'two' }] }),
    );
    const text = (index: number) =>
      chunks.flatMap((c) => c.choices.filter((ch) => ch.index === index).map((ch) => ch.delta.content ?? '')).join('');
    const request = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'two' }] };
    assert.equal(text(0), fakeReply(request, 0).content);
    assert.equal(text(1), fakeReply(request, 1).content);
    assert.deepEqual(chunks.slice(0, 2).map((c) => c.choices[0].index), [0, 1]);
  });
});

describe('scripted behaviours', () => {
  const cases = [
    { status: 400, errorClass: BadRequestError, code: 'invalid_image' },
    { status: 401, errorClass: AuthenticationError, code: 'invalid_api_key' },
    { status: 403, errorClass: PermissionDeniedError, code: 'unsupported_country_region_territory' },
    { status: 404, errorClass: NotFoundError, code: 'model_not_found' },
    { status: 429, errorClass: RateLimitError, code: 'rate_limit_exceeded' },
    { status: 500, errorClass: InternalServerError, code: null },
    { status: 503, errorClass: InternalServerError, code: null },
  ];
  for (const { status, errorClass, code } of cases) {
    it(`error ${status} reaches the SDK as ${errorClass.name}`, async () => {
      fake.script({ kind: 'error', status });
      const error = await client.chat.completions.create(imageRequest).catch((e: unknown) => e);
      assert.ok(error instanceof errorClass, String(error));
      assert.equal(error.status, status);
      assert.equal(error.code, code);
      assert.match(error.requestID ?? '', /^req_/);
      if (status === 429) assert.equal(error.headers?.get('retry-after'), '1');
      if (status === 404) assert.match(error.message, /`gpt-4o-mini` does not exist/);

      fake.script({ kind: 'error', status });
      assertErrorResponse(await (await rawPost(imageRequest)).json());
    });
  }

  it('sends a custom error body and headers, then returns to normal once the queue is empty', async () => {
    const quota = { error: { message: 'You exceeded your current quota.', type: 'insufficient_quota', param: null, code: 'insufficient_quota' } };
    fake.script([{ kind: 'error', status: 429, body: quota, headers: { 'x-should-retry': 'false' } }, { kind: 'ok' }]);
    const error = await client.chat.completions.create(imageRequest).catch((e: unknown) => e);
    assert.ok(error instanceof RateLimitError);
    assert.equal(error.type, 'insufficient_quota');
    assert.equal(error.headers.get('x-should-retry'), 'false');
    assert.ok(await client.chat.completions.create(imageRequest));
    assert.ok(await client.chat.completions.create(imageRequest));
    assert.equal(fake.requests.length, 3);
  });

  it("sends vLLM's flat error shape", async () => {
    // The SDK only reads `body.error`, so this shape reaches its users without a message:
    // a gateway has to translate it.
    fake.script({ kind: 'vllm-error', message: 'image input is not supported' });
    const error = await client.chat.completions.create(imageRequest).catch((e: unknown) => e);
    assert.ok(error instanceof BadRequestError);
    assert.equal(error.error, undefined);
    fake.script({ kind: 'vllm-error', message: 'image input is not supported' });
    assert.deepEqual(await (await rawPost(imageRequest)).json(), {
      object: 'error',
      message: 'image input is not supported',
      type: 'BadRequestError',
      param: null,
      code: 400,
    });

    fake.script({ kind: 'vllm-error', status: 500 });
    const body = await (await rawPost(imageRequest)).json();
    assert.deepEqual(Object.keys(body), ['object', 'message', 'type', 'param', 'code']);
    assert.equal(body.type, 'InternalServerError');
    assert.equal(body.code, 500);
  });

  it('hangs until the client gives up, and records the abort', async () => {
    fake.script({ kind: 'hang' });
    const error = await client.chat.completions.create(imageRequest, { timeout: 200 }).catch((e: unknown) => e);
    assert.ok(error instanceof APIConnectionTimeoutError, String(error));
    await fake.until(() => fake.requests[0]?.aborted === true);
  });

  it('records a client that goes away mid-stream', async () => {
    const slow = await startFakeOpenAI({ chunkDelayMs: 30 });
    try {
      const slowClient = new OpenAI({ apiKey: 'x', baseURL: slow.url, maxRetries: 0 });
      const stream = await slowClient.chat.completions.create({
        model: 'gpt-4o-mini',
        stream: true,
        messages: [{ role: 'user', content: 'one two three four five six' }],
      });
      let received = 0;
      // Leaving the loop early makes the SDK abort the HTTP request.
      for await (const _chunk of stream) if (++received === 2) break;
      await slow.until(() => slow.requests[0]?.aborted === true);
    } finally {
      await slow.close();
    }
  });

  it('completed requests are not marked aborted', async () => {
    await collect(await client.chat.completions.create({ ...imageRequest, stream: true }));
    await client.chat.completions.create(imageRequest);
    assert.deepEqual(fake.requests.map((r) => r.aborted), [false, false]);
  });

  it('dies mid-stream after the given number of chunks', async () => {
    fake.script({ kind: 'die-mid-stream', afterChunks: 2 });
    const stream = await client.chat.completions.create({ ...imageRequest, stream: true });
    const received: ChatCompletionChunk[] = [];
    await assert.rejects(async () => {
      for await (const chunk of stream) received.push(chunk);
    });
    assert.equal(received.length, 2);
    assert.equal(fake.requests[0].aborted, false, 'the server, not the client, closed the connection');

    fake.script({ kind: 'die-mid-stream', afterChunks: 0 });
    await assert.rejects(client.chat.completions.create(imageRequest));
  });

  it('omits usage when scripted as a server that ignores include_usage', async () => {
    fake.script({ kind: 'no-usage-in-stream' });
    const chunks = await collect(
      await client.chat.completions.create({ ...imageRequest, stream: true, stream_options: { include_usage: true } }),
    );
    assert.ok(chunks.length > 2);
    assert.ok(chunks.every((c) => c.usage === undefined && c.choices.length === 1));
  });

  it('refuses http(s) image URLs when scripted as data-URL-only', async () => {
    fake.script([{ kind: 'data-urls-only' }, { kind: 'data-urls-only' }]);
    const error = await client.chat.completions.create(imageRequest).catch((e: unknown) => e);
    assert.ok(error instanceof BadRequestError);
    const dataOnly = structuredClone(imageRequest);
    const user = dataOnly.messages[1];
    if (Array.isArray(user.content)) user.content = user.content.slice(0, 2);
    const ok = await client.chat.completions.create(dataOnly);
    assert.equal(ok.choices[0].message.content, 'I see 1 image. You said: What is in these pictures?');
  });

  it('sends a custom JSON body', async () => {
    const body = JSON.parse(readFileSync(new URL('../fixtures/openai/openai-image.json', import.meta.url), 'utf8'));
    fake.script({ kind: 'json', body });
    assert.deepEqual(await client.chat.completions.create(imageRequest), body);
  });

  it('replays recorded SSE fixtures verbatim', async () => {
    const events = readChunksFixture('openai-text');
    fake.script({ kind: 'sse', events });
    const chunks = await collect(await client.chat.completions.create({ ...imageRequest, stream: true }));
    assert.deepEqual(chunks, events.slice(0, -1).map((event) => JSON.parse(event)));
  });

  it('sends non-data SSE events verbatim, e.g. an error event the SDK raises', async () => {
    fake.script({
      kind: 'sse',
      events: [': keep-alive', 'event: error\ndata: {"error":{"message":"overloaded","type":"server_error","param":null,"code":null}}'],
    });
    const stream = await client.chat.completions.create({ ...imageRequest, stream: true });
    await assert.rejects(collect(stream), (error: unknown) => error instanceof APIError && /overloaded/.test(error.message));
  });
});

describe('the rest of the API surface', () => {
  it('lists models', async () => {
    const page = await client.models.list();
    assert.deepEqual(page.data.map((m) => m.id), ['gpt-4o-mini', 'gpt-4o']);
    const response = await fetch(`${fake.url}/models`);
    assertModelList(await response.json());
    assert.equal((await client.models.retrieve('gpt-4o')).id, 'gpt-4o');
    await assert.rejects(client.models.retrieve('nope'), NotFoundError);
  });

  it('refuses a wrong API key without consuming the script', async () => {
    fake.script({ kind: 'error', status: 500 });
    const wrong = new OpenAI({ apiKey: 'sk-wrong', baseURL: fake.url, maxRetries: 0 });
    await assert.rejects(wrong.chat.completions.create(imageRequest), AuthenticationError);
    await assert.rejects(client.chat.completions.create(imageRequest), InternalServerError);
  });

  it('answers malformed requests with OpenAI 400s', async () => {
    const missing = await rawPost({ model: 'gpt-4o-mini' });
    assert.equal(missing.status, 400);
    const body = await missing.json();
    assertErrorResponse(body);
    assert.equal(body.error.param, 'messages');

    const notJson = await fetch(`${fake.url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: '{"model":',
    });
    assert.equal(notJson.status, 400);
    assert.equal(fake.requests.at(-1)?.body, '{"model":');

    const unknown = await fetch(`${fake.url}/embeddings`, { method: 'POST' });
    assert.equal(unknown.status, 404);
    assert.match((await unknown.json()).error.message, /Invalid URL \(POST \/v1\/embeddings\)/);
  });
});

describe('recorded fixtures', () => {
  it('are valid OpenAI bodies and streams', () => {
    for (const name of ['openai-text', 'openai-image']) {
      assertChatCompletion(JSON.parse(readFileSync(new URL(`../fixtures/openai/${name}.json`, import.meta.url), 'utf8')));
    }
    for (const name of ['openai-text', 'openai-tool-call']) {
      const events = readChunksFixture(name);
      assert.equal(events.at(-1), '[DONE]');
      const chunks = events.slice(0, -1).map((event) => JSON.parse(event) as ChatCompletionChunk);
      for (const chunk of chunks) assertChatCompletionChunk(chunk);
      assert.equal(chunks[0].choices[0].delta.role, 'assistant');
      assert.deepEqual(chunks.at(-1)?.choices, []);
      assert.ok(chunks.at(-1)?.usage);
    }
  });
});

// The OpenAI-compatible provider seen from a client: model ids mapped, upstream failures
// mapped to OpenAI-shaped errors with the right status, timeouts, vLLM's flat errors, an
// Ollama-like upstream that takes only data URLs, and usage when an upstream sends none.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import sharp from 'sharp';
import { countTokens, promptTokens } from '../../src/chat/count-tokens.ts';
import { dataUrl, makeImage } from '../../src/images/testing/test-images.ts';
import { fakeReply, type Behaviour } from '../support/fake-openai-upstream.ts';
import { assertChatCompletion, assertChatCompletionChunk, assertErrorResponse } from '../support/openai-schemas.ts';
import { closedPort } from '../support/closed-port.ts';
import { startIris } from '../support/start-iris.ts';
import { PNG_DATA_URL, chatRequests, startStack, type Stack } from './e2e-setup.ts';

type ErrorBody = { error: { message: string; type: string; param: string | null; code: string | null } };

const messages = [{ role: 'user' as const, content: 'hello there' }];

describe('upstream errors', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ provider: { timeout_ms: 400 } });
  });
  after(() => stack.close());

  async function rawError(behaviour: Behaviour, stream = false): Promise<{ res: Response; body: ErrorBody }> {
    stack.upstream.script(behaviour);
    const res = await fetch(`${stack.iris.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.iris.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages, stream }),
      signal: AbortSignal.timeout(5000),
    });
    const text = await res.text();
    const body = JSON.parse(text) as ErrorBody;
    assertErrorResponse(body);
    assert.doesNotMatch(body.error.message, /\n\s+at |node:internal|\.ts:\d+/, 'no stack trace');
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    return { res, body };
  }

  const table: { name: string; behaviour: Behaviour; status: number; type?: string; code?: string | null; message?: RegExp }[] = [
    { name: '400 keeps status, message and code', behaviour: { kind: 'error', status: 400 }, status: 400, type: 'invalid_request_error', code: 'invalid_image', message: /^Invalid image\.$/ },
    { name: '404 keeps status and message', behaviour: { kind: 'error', status: 404 }, status: 404, code: 'model_not_found', message: /gpt-4o-mini/ },
    { name: '403 keeps status', behaviour: { kind: 'error', status: 403 }, status: 403, message: /not supported/ },
    {
      name: '422 with a custom body',
      behaviour: { kind: 'error', status: 422, body: { error: { message: 'Unprocessable: bad tool schema', type: 'invalid_request_error', param: 'tools[0]', code: 'bad_schema' } } },
      status: 422,
      code: 'bad_schema',
      message: /bad tool schema/,
    },
    { name: '500 becomes 502', behaviour: { kind: 'error', status: 500 }, status: 502, type: 'upstream_error', message: /HTTP 500/ },
    { name: '502 from a proxy with an HTML page becomes 502', behaviour: { kind: 'error', status: 502, body: '<html><body>Bad Gateway</body></html>' }, status: 502, type: 'upstream_error' },
    { name: 'vLLM flat 400 keeps status and message', behaviour: { kind: 'vllm-error', status: 400 }, status: 400, type: 'invalid_request_error', code: null, message: /^The model does not support image input\.$/ },
    { name: 'vLLM flat 500 becomes 502', behaviour: { kind: 'vllm-error', status: 500, message: 'CUDA out of memory' }, status: 502, type: 'upstream_error', message: /CUDA out of memory/ },
    { name: 'a hanging upstream becomes 504', behaviour: { kind: 'hang' }, status: 504, type: 'timeout_error' },
    { name: 'a body cut off half-way becomes 502', behaviour: { kind: 'die-mid-stream', afterChunks: 0 }, status: 502, type: 'upstream_error' },
    { name: 'a 200 that is not a completion becomes 502', behaviour: { kind: 'json', body: { hello: 'world' } }, status: 502, type: 'upstream_error' },
    {
      name: 'a completion whose choice has no message becomes 502, not 500',
      behaviour: { kind: 'json', body: { id: 'x', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: null, finish_reason: 'stop' }] } },
      status: 502,
      type: 'upstream_error',
      message: /without a message/,
    },
  ];

  for (const c of table) {
    it(c.name, async () => {
      const { res, body } = await rawError(c.behaviour);
      assert.equal(res.status, c.status, JSON.stringify(body));
      if (c.type) assert.equal(body.error.type, c.type);
      if (c.code !== undefined) assert.equal(body.error.code, c.code);
      if (c.message) assert.match(body.error.message, c.message);
    });
  }

  it('a 422 keeps its param too', async () => {
    const { body } = await rawError({ kind: 'error', status: 422, body: { error: { message: 'x', type: 'invalid_request_error', param: 'tools[0]', code: null } } });
    assert.equal(body.error.param, 'tools[0]');
  });

  it('429 stays 429 with Retry-After, and the SDK raises RateLimitError', async () => {
    const { res, body } = await rawError({ kind: 'error', status: 429 });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '1');
    assert.equal(body.error.code, 'rate_limit_exceeded');
    stack.upstream.script({ kind: 'error', status: 429, headers: { 'retry-after': '17' } });
    await assert.rejects(stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages }), (err: unknown) => {
      assert.ok(err instanceof OpenAI.RateLimitError);
      assert.equal(err.headers.get('retry-after'), '17');
      return true;
    });
  });

  it('429 passes retry-after-ms on too, which the SDK prefers to retry-after', async () => {
    const { res } = await rawError({ kind: 'error', status: 429, headers: { 'retry-after': '2', 'retry-after-ms': '1500' } });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '2');
    assert.equal(res.headers.get('retry-after-ms'), '1500');
    const { res: streamed } = await rawError({ kind: 'error', status: 429, headers: { 'retry-after-ms': '250' } }, true);
    assert.equal(streamed.headers.get('retry-after-ms'), '250');
  });

  it("an exhausted quota (429 insufficient_quota) tells the SDK not to retry; the upstream's x-should-retry passes on", async () => {
    // The SDK retries every 429 unless x-should-retry says otherwise; a quota does not come back in seconds.
    const client = new OpenAI({ baseURL: stack.iris.baseURL, apiKey: stack.iris.apiKey, maxRetries: 2 });
    const quota = { error: { message: 'You exceeded your current quota, please check your plan and billing details.', type: 'insufficient_quota', param: null, code: 'insufficient_quota' } };
    for (const headers of [{}, { 'x-should-retry': 'false' }] as Record<string, string>[]) {
      stack.upstream.reset();
      stack.upstream.script({ kind: 'error', status: 429, body: quota, headers });
      await assert.rejects(client.chat.completions.create({ model: 'gpt-4o-mini', messages }), (err: unknown) => {
        assert.ok(err instanceof OpenAI.RateLimitError);
        assert.equal(err.headers.get('x-should-retry'), 'false');
        return true;
      });
      assert.equal(chatRequests(stack.upstream).length, 1, 'not retried');
    }
    const { res } = await rawError({ kind: 'error', status: 500, headers: { 'x-should-retry': 'true' } });
    assert.equal(res.headers.get('x-should-retry'), 'true');
  });

  it('a stream whose upstream fails before the first chunk answers with the mapped status', async () => {
    const cases: [Behaviour, number][] = [
      [{ kind: 'error', status: 400 }, 400],
      [{ kind: 'error', status: 429 }, 429],
      [{ kind: 'error', status: 500 }, 502],
      [{ kind: 'vllm-error', status: 400 }, 400],
      [{ kind: 'hang' }, 504],
    ];
    for (const [behaviour, status] of cases) {
      const { res } = await rawError(behaviour, true);
      assert.equal(res.status, status, behaviour.kind);
    }
  });

  it('the SDK sees 502 as InternalServerError and 504 with timeout_error, without hanging', async () => {
    stack.upstream.script({ kind: 'error', status: 500 });
    await assert.rejects(stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages }), (err: unknown) => {
      assert.ok(err instanceof OpenAI.InternalServerError);
      assert.equal(err.status, 502);
      return true;
    });
    stack.upstream.script({ kind: 'hang' });
    const started = Date.now();
    await assert.rejects(stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages }), (err: unknown) => {
      assert.ok(err instanceof OpenAI.APIError);
      assert.equal(err.status, 504);
      assert.equal(err.type, 'timeout_error');
      return true;
    });
    assert.ok(Date.now() - started < 3000, 'the timeout_ms of the provider applies');
  });

  it('logs an upstream failure as one warning with its status and code, without a stack', async () => {
    const before = stack.iris.logs.length;
    stack.upstream.script([{ kind: 'error', status: 500 }, { kind: 'die-mid-stream', afterChunks: 2 }]);
    await assert.rejects(stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages }));
    const stream = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    await assert.rejects(async () => {
      for await (const _ of stream);
    });
    const lines = stack.iris.logs.slice(before);
    const failures = lines.filter((l) => (l.status === 502 || l.status === 504) && l.msg !== 'request');
    assert.equal(failures.length, 2, JSON.stringify(lines));
    for (const line of failures) {
      assert.equal(line.level, 40, 'a warning, not an error');
      assert.equal(line.err, undefined, 'no stack');
      assert.equal(line.type === 'upstream_error' || line.type === 'timeout_error', true, JSON.stringify(line));
    }
    assert.equal(lines.filter((l) => (l.level as number) >= 50).length, 0);
  });

  it('an event: error in the upstream stream ends the client stream with an error', async () => {
    const first = JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hel' }, finish_reason: null }] });
    stack.upstream.script({ kind: 'sse', events: [first, 'event: error\ndata: {"error":{"message":"model crashed","type":"server_error"}}'] });
    const stream = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
      })(),
      (err: unknown) => err instanceof OpenAI.APIError && /model crashed/.test(err.message),
    );
    assert.deepEqual(seen, ['Hel']);
  });

  it('an event: error whose data has a top-level message passes that message on', async () => {
    const first = JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hel' }, finish_reason: null }] });
    stack.upstream.script({ kind: 'sse', events: [first, 'event: error\ndata: {"message":"boom via event"}'] });
    const stream = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    await assert.rejects(
      (async () => {
        for await (const _ of stream);
      })(),
      (err: unknown) => err instanceof OpenAI.APIError && /failed mid-stream: boom via event/.test(err.message),
    );
  });

  it('a stream that ends without [DONE] or a finish reason ends with an error, not a hang', async () => {
    const first = JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi' }, finish_reason: null }] });
    stack.upstream.script({ kind: 'sse', events: [first] });
    const stream = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    await assert.rejects(
      (async () => {
        for await (const _ of stream);
      })(),
      (err: unknown) => err instanceof OpenAI.APIError && /before it was complete/.test(err.message),
    );
  });

  it('an upstream stream of only [DONE] is a 502, not an empty answer', async () => {
    stack.upstream.script({ kind: 'sse', events: ['[DONE]'] });
    await assert.rejects(
      stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } }),
      (err: unknown) => err instanceof OpenAI.APIError && err.status === 502 && /before it was complete/.test(err.message),
    );
  });

  it('a non-streamed request whose client goes away aborts the upstream request, and is logged as one 499 request line', async () => {
    stack.upstream.reset();
    stack.upstream.script({ kind: 'hang' });
    const controller = new AbortController();
    const pending = stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages }, { signal: controller.signal });
    await stack.upstream.until(() => chatRequests(stack.upstream).length === 1);
    controller.abort();
    await assert.rejects(pending, OpenAI.APIUserAbortError);
    const [request] = chatRequests(stack.upstream);
    await stack.upstream.until(() => request.aborted);
    const [line] = await stack.iris.logged((l) => l.status === 499);
    assert.equal(line?.msg, 'request');
    assert.deepEqual([line.method, line.path, line.model], ['POST', '/v1/chat/completions', 'gpt-4o-mini']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(stack.iris.logs.filter((l) => l.reqId === line.reqId).length, 1, 'one line for it, not two');
  });
});

describe('an upstream that stalls mid-stream', () => {
  it('ends the stream with a timeout error event once timeout_ms passes without a byte', async () => {
    const stack = await startStack({ upstream: { chunkDelayMs: 1500 }, provider: { timeout_ms: 300 } });
    try {
      const started = Date.now();
      const stream = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
      let chunks = 0;
      await assert.rejects(
        (async () => {
          for await (const _ of stream) chunks++;
        })(),
        (err: unknown) => err instanceof OpenAI.APIError && /did not answer within 300 ms/.test(err.message),
      );
      assert.equal(chunks, 1, 'the first chunk came, then the upstream stalled');
      assert.ok(Date.now() - started < 1400, 'ended by the idle timeout, not by the next chunk');
    } finally {
      await stack.close();
    }
  });
});

describe('an unreachable upstream', () => {
  it('502 upstream_unreachable, OpenAI-shaped', async () => {
    const port = await closedPort();
    const iris = await startIris({
      providers: { dead: { type: 'openai', base_url: `http://127.0.0.1:${port}/v1` } },
      models: [{ name: 'm', provider: 'dead' }],
    });
    try {
      const res = await fetch(`${iris.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${iris.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages }),
      });
      assert.equal(res.status, 502);
      const body = (await res.json()) as ErrorBody;
      assertErrorResponse(body);
      assert.equal(body.error.code, 'upstream_unreachable');
      assert.match(body.error.message, /ECONNREFUSED/);
    } finally {
      await iris.close();
    }
  });
});

describe('a base_url with nothing served at it', () => {
  it("a web framework's 404 (vLLM named without /v1) reaches the SDK as a 404 that names the provider's base_url, streamed or not", async () => {
    // What FastAPI (vLLM, SGLang) answers for a path it does not serve.
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"detail":"Not Found"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const iris = await startIris({
      providers: { vllm: { type: 'openai', base_url: `http://127.0.0.1:${port}` } },
      models: [{ name: 'm', provider: 'vllm' }],
    });
    try {
      const client = new OpenAI({ baseURL: iris.baseURL, apiKey: iris.apiKey, maxRetries: 0 });
      for (const stream of [false, true]) {
        const err = await client.chat.completions.create({ model: 'm', messages, stream }).then(
          () => assert.fail('expected a 404'),
          (e: unknown) => e,
        );
        assert.ok(err instanceof OpenAI.NotFoundError, String(err));
        assert.equal(err.code, 'upstream_not_found');
        assert.equal(err.message, "404 The upstream provider 'vllm' serves no chat endpoint at the URL Iris called (HTTP 404: Not Found); check providers.vllm.base_url.");
        assertErrorResponse({ error: err.error });
      }
    } finally {
      await iris.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('usage from an upstream that sends none', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ upstream: { defaultBehaviour: { kind: 'no-usage-in-stream' } } });
  });
  after(() => stack.close());

  it('a stream still ends with an estimated usage chunk when include_usage is set', async () => {
    const stream = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) {
      assertChatCompletionChunk(chunk);
      chunks.push(chunk);
    }
    // The upstream was asked for usage, but sent none.
    assert.deepEqual((chatRequests(stack.upstream).at(-1)!.body as { stream_options: unknown }).stream_options, { include_usage: true });
    const last = chunks.at(-1)!;
    assert.deepEqual(last.choices, []);
    const usage = last.usage!;
    assert.ok(usage.prompt_tokens > 0 && usage.prompt_tokens < 50, `prompt ${usage.prompt_tokens}`);
    assert.ok(usage.completion_tokens > 0 && usage.completion_tokens < 50, `completion ${usage.completion_tokens}`);
    assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    assert.equal(text, fakeReply({ model: 'gpt-4o-mini', messages }).content);
  });

  it('a longer answer is estimated at more completion tokens', async () => {
    const count = async (content: string) => {
      const runner = stack.iris.client.chat.completions.stream({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], stream_options: { include_usage: true } });
      return (await runner.finalChatCompletion()).usage!;
    };
    const short = await count('hi');
    const long = await count('please describe every single object you can find in this photograph in great detail');
    assert.ok(long.completion_tokens > short.completion_tokens + 10);
    assert.ok(long.prompt_tokens > short.prompt_tokens + 10);
  });

  it('adds the image estimate to an estimated prompt, streamed or not', async () => {
    const png = dataUrl(await makeImage('png', 1024, 1024));
    const imageMessages = [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'What is in this picture?' }, { type: 'image_url' as const, image_url: { url: png, detail: 'high' as const } }] }];
    const text = promptTokens({ model: 'gpt-4o-mini', messages: imageMessages });
    // gpt-4o-mini, 1024×1024 at high detail: 768×768, 4 tiles of 5667 + 2833.
    const image = 25_501;
    const expectUsage = (usage: OpenAI.CompletionUsage | undefined | null) => {
      assert.ok(usage);
      assert.equal(usage.prompt_tokens, text + image);
      assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
      assert.ok(usage.completion_tokens > 0);
      assert.deepEqual(usage.prompt_tokens_details, { cached_tokens: 0, text_tokens: text, image_tokens: image });
    };
    stack.upstream.script({
      kind: 'json',
      body: { id: 'chatcmpl-x', object: 'chat.completion', created: 1_700_000_000, model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content: 'A grey square.' }, finish_reason: 'stop' }] },
    });
    const completion = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages: imageMessages });
    assertChatCompletion(completion);
    expectUsage(completion.usage);
    const stream = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages: imageMessages, stream: true, stream_options: { include_usage: true } });
    let last: OpenAI.Chat.Completions.ChatCompletionChunk | undefined;
    for await (const chunk of stream) {
      assertChatCompletionChunk(chunk);
      last = chunk;
    }
    expectUsage(last?.usage);
  });

  it("drops vLLM's empty tool_calls, so the answer can go back in the next turn (OpenAI refuses tool_calls: [])", async () => {
    const ask = [{ role: 'user' as const, content: 'hello' }];
    stack.upstream.script({
      kind: 'json',
      body: { id: 'chatcmpl-v', object: 'chat.completion', created: 1_700_000_000, model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content: 'Hi.', tool_calls: [] }, finish_reason: 'stop' }], usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 } },
    });
    const completion = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages: ask });
    assert.equal('tool_calls' in completion.choices[0].message, false);
    const chunk = (delta: object, finish: string | null) =>
      JSON.stringify({ id: 'chatcmpl-v', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'gpt-4o-mini', choices: [{ index: 0, delta, finish_reason: finish }] });
    stack.upstream.script({ kind: 'sse', events: [chunk({ role: 'assistant', content: 'Hi', tool_calls: [] }, null), chunk({ content: '.', tool_calls: [] }, null), chunk({}, 'stop'), '[DONE]'] });
    const streamed = await stack.iris.client.chat.completions.stream({ model: 'gpt-4o-mini', messages: ask }).finalChatCompletion();
    assert.equal(streamed.choices[0].message.tool_calls, undefined);
    // Both answers, sent back as the conversation so far, are a valid next request.
    const next = await stack.iris.client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [...ask, completion.choices[0].message, { role: 'user', content: 'again' }, streamed.choices[0].message as OpenAI.Chat.Completions.ChatCompletionMessageParam, { role: 'user', content: 'thanks' }],
    });
    assertChatCompletion(next);
  });

  it('counts tool calls as completion tokens, streamed or not', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'describe_scene', parameters: { type: 'object', properties: { what: { type: 'string' } }, required: ['what'] } } }];
    const ask = [{ role: 'user' as const, content: 'a cat sitting on a red sofa in the afternoon sun' }];
    const args = JSON.stringify({ what: 'a cat sitting on a red sofa in the afternoon sun' });
    const expected = countTokens('describe_scene') + countTokens(args);
    stack.upstream.script({
      kind: 'json',
      body: {
        id: 'chatcmpl-t', object: 'chat.completion', created: 1_700_000_000, model: 'gpt-4o-mini',
        choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'describe_scene', arguments: args } }] }, finish_reason: 'tool_calls' }],
      },
    });
    const completion = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages: ask, tools });
    assertChatCompletion(completion);
    assert.ok(Math.abs(completion.usage!.completion_tokens - expected) <= 2, `non-stream: ${completion.usage!.completion_tokens} vs ${expected}`);
    // The fake's stream: the name in the first delta, the arguments in 6-character pieces.
    const runner = stack.iris.client.chat.completions.stream({ model: 'gpt-4o-mini', messages: ask, tools, tool_choice: 'required', stream_options: { include_usage: true } });
    const final = await runner.finalChatCompletion();
    assert.equal(final.choices[0].finish_reason, 'tool_calls');
    assert.ok(Math.abs(final.usage!.completion_tokens - expected) <= 2, `stream: ${final.usage!.completion_tokens} vs ${expected}`);
  });

  it('counts tool definitions in the estimated prompt', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'describe_scene', description: 'Describe every object in the scene, with its colour and position.', parameters: { type: 'object', properties: { what: { type: 'string' } }, required: ['what'] } } }];
    const runner = (withTools: boolean) =>
      stack.iris.client.chat.completions.stream({ model: 'gpt-4o-mini', messages, ...(withTools ? { tools } : {}), stream_options: { include_usage: true } }).finalChatCompletion();
    const [without, withTools] = [await runner(false), await runner(true)];
    assert.ok(withTools.usage!.prompt_tokens > without.usage!.prompt_tokens + 20, `${withTools.usage!.prompt_tokens} vs ${without.usage!.prompt_tokens}`);
  });

  it('a JSON completion without usage gets an estimated usage', async () => {
    stack.upstream.script({
      kind: 'json',
      body: { id: 'chatcmpl-x', object: 'chat.completion', created: 1_700_000_000, model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content: 'A red square.' }, finish_reason: 'stop' }] },
    });
    const completion = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    assertChatCompletion(completion);
    assert.equal(completion.choices[0].message.content, 'A red square.');
    assert.ok(completion.usage);
    assert.ok(completion.usage.completion_tokens >= 3 && completion.usage.completion_tokens <= 6, String(completion.usage.completion_tokens));
    assert.ok(completion.usage.prompt_tokens > 0);
    assert.equal(completion.usage.total_tokens, completion.usage.prompt_tokens + completion.usage.completion_tokens);
  });
});

describe('max_tokens_field: the name the server reads the output limit under', () => {
  const messages = [{ role: 'user' as const, content: 'Say something long.' }];
  const sentLimits = (stack: Stack) =>
    chatRequests(stack.upstream).map((r) => {
      const body = r.body as { max_tokens?: number; max_completion_tokens?: number };
      return [body.max_tokens, body.max_completion_tokens];
    });

  it('max_tokens (an Ollama that reads only that name): the SDK\'s max_completion_tokens goes under it, streamed or not', async () => {
    const stack = await startStack({ provider: { max_tokens_field: 'max_tokens' } });
    try {
      const completion = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages, max_completion_tokens: 2 });
      assert.equal(completion.choices[0].finish_reason, 'length');
      const stream = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages, max_completion_tokens: 3, stream: true });
      for await (const _ of stream);
      await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 4 });
      assert.deepEqual(sentLimits(stack), [
        [2, undefined],
        [3, undefined],
        [4, undefined],
      ]);
    } finally {
      await stack.close();
    }
  });

  it('unset: each name goes as the client sent it', async () => {
    const stack = await startStack();
    try {
      await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages, max_completion_tokens: 2 });
      await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 4 });
      assert.deepEqual(sentLimits(stack), [
        [undefined, 2],
        [4, undefined],
      ]);
    } finally {
      await stack.close();
    }
  });
});

describe('who fetches image URLs', () => {
  let imageServer: Server;
  let imageUrl: string;
  let imageHost: string;
  let pngBytes: Buffer;
  before(async () => {
    pngBytes = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 30, b: 30 } } }).png().toBuffer();
    imageServer = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(pngBytes.length) });
      res.end(pngBytes);
    });
    await new Promise<void>((resolve) => imageServer.listen(0, '127.0.0.1', resolve));
    const { port } = imageServer.address() as AddressInfo;
    imageHost = `127.0.0.1:${port}`;
    imageUrl = `http://${imageHost}/red.png`;
  });
  after(() => new Promise<void>((resolve) => imageServer.close(() => resolve())));

  const ask = (url: string) => [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'colour?' }, { type: 'image_url' as const, image_url: { url } }] }];

  it('fetch_urls: upstream passes an http URL through untouched', async () => {
    const stack = await startStack({ provider: { fetch_urls: 'upstream' } });
    try {
      const completion = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages: ask(imageUrl) });
      assert.equal(completion.choices[0].message.content, 'I see 1 image. You said: colour?');
      const sent = chatRequests(stack.upstream)[0].body as { messages: { content: { image_url?: { url: string } }[] }[] };
      assert.equal(sent.messages[0].content[1].image_url?.url, imageUrl);
    } finally {
      await stack.close();
    }
  });

  it('an Ollama-like upstream (data URLs only) answers a data URL', async () => {
    const stack = await startStack({ upstream: { defaultBehaviour: { kind: 'data-urls-only' } }, provider: { fetch_urls: 'iris' } });
    try {
      const completion = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages: ask(PNG_DATA_URL) });
      assertChatCompletion(completion);
      assert.equal(completion.choices[0].message.content, 'I see 1 image. You said: colour?');
      const sent = chatRequests(stack.upstream)[0].body as { messages: { content: { image_url?: { url: string } }[] }[] };
      assert.match(sent.messages[0].content[1].image_url?.url ?? '', /^data:image\/png;base64,/);
    } finally {
      await stack.close();
    }
  });

  it('fetch_urls: iris inlines an http URL as a data URL for an Ollama-like upstream', async () => {
    const stack = await startStack({
      upstream: { defaultBehaviour: { kind: 'data-urls-only' } },
      provider: { fetch_urls: 'iris' },
      config: { images: { fetch: { allow_hosts: [imageHost] } } },
    });
    try {
      const completion = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages: ask(imageUrl) });
      assertChatCompletion(completion);
      assert.equal(completion.choices[0].message.content, 'I see 1 image. You said: colour?');
      const sent = chatRequests(stack.upstream)[0].body as { messages: { content: { image_url?: { url: string } }[] }[] };
      const url = sent.messages[0].content[1].image_url?.url ?? '';
      assert.match(url, /^data:image\/png;base64,/, 'Iris fetched the image and sent its bytes');
      const sentBytes = Buffer.from(url.slice(url.indexOf(',') + 1), 'base64');
      const meta = await sharp(sentBytes).metadata();
      assert.deepEqual([meta.width, meta.height], [64, 48]);
    } finally {
      await stack.close();
    }
  });

  it('fetch_urls: iris refuses a loopback URL that is not allowed, before calling the upstream', async () => {
    const stack = await startStack({ provider: { fetch_urls: 'iris' } });
    try {
      const res = await fetch(`${stack.iris.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.iris.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: ask(imageUrl) }),
      });
      const body = (await res.json()) as ErrorBody;
      assertErrorResponse(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(body.error.param, 'messages[0].content[1].image_url.url');
      assert.equal(chatRequests(stack.upstream).length, 0);
    } finally {
      await stack.close();
    }
  });
});

import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { assertChatCompletion, assertChatCompletionChunk, assertErrorResponse } from '../support/openai-schemas.ts';
import type { Failure, Harness, ProviderDescriptor } from './provider-descriptors.ts';
import { allImages, type ReceivedRequest } from './received-request.ts';

// The one table of cases every provider type runs through: each sends a request with the
// official openai SDK to the real Iris server and checks what the client got and, where
// there is an upstream, what the upstream received in its own wire format.

type Chunk = OpenAI.Chat.Completions.ChatCompletionChunk;
type Message = OpenAI.Chat.Completions.ChatCompletionMessageParam;

export interface TestImage {
  dataUrl: string;
  mediaType: string;
  bytes: number;
  sha256: string;
}

export interface CaseContext {
  client: OpenAI;
  descriptor: ProviderDescriptor;
  harness: Harness;
  model: string;
  /** `photo` is a noisy JPEG of a few hundred kilobytes: a data URL long enough to be kept out of JSON.parse. */
  images: { png: TestImage; jpeg: TestImage; webp: TestImage; photo: TestImage; pngUrl: string };
  /** What the upstream received during this case. */
  received(): ReceivedRequest[];
}

export interface ConformanceCase {
  name: string;
  /** `upstream`: needs a fake upstream to script or inspect; `tools`: the model calls functions. */
  needs?: Array<'upstream' | 'tools'>;
  run(c: CaseContext): Promise<void>;
}

const hasUpstream = (c: CaseContext) => c.harness.upstream !== undefined;

/** Fakes answer "I see N image(s) …"; the engine says what it saw, which is never empty. */
function assertAnswer(c: CaseContext, content: string | null | undefined, images: number): void {
  assert.equal(typeof content, 'string');
  assert.ok(content!.length > 0, 'an answer');
  if (hasUpstream(c)) assert.match(content!, new RegExp(`I see ${images} image${images === 1 ? '' : 's'}\\b`));
}

function assertUsage(usage: OpenAI.CompletionUsage | undefined | null): void {
  assert.ok(usage, 'usage is present');
  assert.ok(usage.prompt_tokens > 0, 'prompt tokens counted');
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
}

async function complete(c: CaseContext, body: Omit<OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming, 'model'>) {
  const completion = await c.client.chat.completions.create({ model: c.model, ...body });
  assertChatCompletion(completion);
  assert.equal(completion.object, 'chat.completion');
  assert.equal(completion.model, c.model);
  return completion;
}

async function stream(c: CaseContext, body: Omit<OpenAI.Chat.Completions.ChatCompletionCreateParamsStreaming, 'model' | 'stream'>): Promise<Chunk[]> {
  const chunks: Chunk[] = [];
  for await (const chunk of await c.client.chat.completions.create({ model: c.model, stream: true, ...body })) {
    assertChatCompletionChunk(chunk);
    chunks.push(chunk);
  }
  return chunks;
}

function onlyRequest(c: CaseContext): ReceivedRequest {
  const all = c.received();
  assert.equal(all.length, 1, 'exactly one upstream request');
  assert.equal(all[0].model, c.harness.upstreamModel);
  return all[0];
}

/** The SDK error for a request that must fail, with its status, body and headers checked. */
async function expectError(promise: Promise<unknown>, status: number): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof OpenAI.APIError, `an APIError, got ${String(err)}`);
    assert.equal(err.status, status, `status ${status}, got ${err.status}: ${err.message}`);
    assertErrorResponse({ error: err.error });
    return err;
  }
  assert.fail(`expected HTTP ${status}`);
}

function failNext(c: CaseContext, failure: Failure): void {
  c.harness.upstream!.fail(failure);
}

const textMessage = (text: string): Message[] => [{ role: 'user', content: text }];
const imageMessage = (text: string, ...urls: string[]): Message => ({
  role: 'user',
  content: [{ type: 'text', text }, ...urls.map((url) => ({ type: 'image_url' as const, image_url: { url } }))],
});

export const CASES: ConformanceCase[] = [
  {
    name: 'text only',
    async run(c) {
      const out = await complete(c, { messages: textMessage('Say hello in five words.') });
      assertAnswer(c, out.choices[0].message.content, 0);
      assert.equal(out.choices[0].finish_reason, 'stop');
      assertUsage(out.usage);
      if (!hasUpstream(c)) return;
      const got = onlyRequest(c);
      assert.equal(got.turns.length, 1);
      assert.match(got.turns[0].text, /Say hello in five words\./);
      assert.equal(allImages(got).length, 0);
      assert.equal(got.stream, false);
    },
  },
  {
    name: 'image by URL',
    async run(c) {
      const out = await complete(c, { messages: [imageMessage('What is in this picture?', c.images.pngUrl)] });
      assertAnswer(c, out.choices[0].message.content, 1);
      if (!hasUpstream(c)) return;
      const [image] = allImages(onlyRequest(c));
      if (c.descriptor.urlFetchedBy === 'upstream') assert.deepEqual(image, { kind: 'url', url: c.images.pngUrl });
      else {
        assert.equal(image.kind, 'inline', 'Iris fetched the URL and sent the bytes');
        assert.match((image as { mediaType: string }).mediaType, /^image\/(png|jpeg|webp)$/);
      }
    },
  },
  {
    name: 'image inline',
    async run(c) {
      const out = await complete(c, { messages: [imageMessage('What is in this picture?', c.images.jpeg.dataUrl)] });
      assertAnswer(c, out.choices[0].message.content, 1);
      if (!hasUpstream(c)) return;
      const images = allImages(onlyRequest(c));
      assert.equal(images.length, 1);
      assert.equal(images[0].kind, 'inline');
      assert.equal((images[0] as { mediaType: string }).mediaType, 'image/jpeg');
      assert.ok((images[0] as { bytes: number }).bytes > 100);
    },
  },
  {
    // Long data URLs skip JSON.parse and stand as placeholders in the request
    // (src/json/verbatim-strings.ts); every provider must still send the client's very bytes.
    name: 'a large photo inline arrives byte for byte',
    async run(c) {
      const { photo, png } = c.images;
      const out = await complete(c, { messages: [imageMessage('What is in these pictures?', photo.dataUrl, png.dataUrl, photo.dataUrl)] });
      assertAnswer(c, out.choices[0].message.content, 3);
      if (!hasUpstream(c)) return;
      const images = allImages(onlyRequest(c));
      const expected = { kind: 'inline', mediaType: photo.mediaType, bytes: photo.bytes, sha256: photo.sha256 };
      assert.deepEqual(images, [expected, { kind: 'inline', mediaType: png.mediaType, bytes: png.bytes, sha256: png.sha256 }, expected]);
    },
  },
  {
    name: 'several images in one message',
    async run(c) {
      const { png, jpeg, webp } = c.images;
      const out = await complete(c, { messages: [imageMessage('Compare these.', png.dataUrl, jpeg.dataUrl, webp.dataUrl)] });
      assertAnswer(c, out.choices[0].message.content, 3);
      if (!hasUpstream(c)) return;
      const got = onlyRequest(c);
      assert.equal(got.turns.length, 1);
      assert.deepEqual(got.turns[0].images.map((i) => (i.kind === 'inline' ? i.mediaType : i.url)), ['image/png', 'image/jpeg', 'image/webp']);
    },
  },
  {
    name: 'images in several messages',
    async run(c) {
      const out = await complete(c, {
        messages: [
          imageMessage('Here is the first.', c.images.png.dataUrl),
          { role: 'assistant', content: 'I see the first one.' },
          imageMessage('And the second: how do they differ?', c.images.jpeg.dataUrl),
        ],
      });
      assertAnswer(c, out.choices[0].message.content, 2);
      if (!hasUpstream(c)) return;
      const got = onlyRequest(c);
      assert.deepEqual(got.turns.map((t) => [t.role, t.images.length]), [['user', 1], ['assistant', 0], ['user', 1]]);
    },
  },
  {
    name: 'system prompt',
    async run(c) {
      const out = await complete(c, {
        messages: [{ role: 'system', content: 'You are terse.' }, imageMessage('What is this?', c.images.png.dataUrl)],
      });
      assertAnswer(c, out.choices[0].message.content, 1);
      if (!hasUpstream(c)) return;
      const got = onlyRequest(c);
      assert.equal(got.system, 'You are terse.');
      assert.deepEqual(got.turns.map((t) => t.role), ['user']);
    },
  },
  {
    name: 'multi-turn with assistant turns',
    async run(c) {
      const out = await complete(c, {
        messages: [
          { role: 'user', content: 'Hi there.' },
          { role: 'assistant', content: 'Hello, what can I look at for you?' },
          imageMessage('This one, please.', c.images.png.dataUrl),
        ],
      });
      assertAnswer(c, out.choices[0].message.content, 1);
      if (!hasUpstream(c)) return;
      const got = onlyRequest(c);
      assert.deepEqual(got.turns.map((t) => t.role), ['user', 'assistant', 'user']);
      assert.equal(got.turns[1].text, 'Hello, what can I look at for you?');
    },
  },
  {
    name: 'streaming without include_usage',
    async run(c) {
      const chunks = await stream(c, { messages: [imageMessage('Describe it.', c.images.png.dataUrl)] });
      assert.ok(chunks.length >= 3);
      assert.equal(chunks[0].choices[0].delta.role, 'assistant');
      assert.equal(new Set(chunks.map((ch) => ch.id)).size, 1, 'one id for the whole stream');
      assert.ok(chunks.every((ch) => ch.choices.length === 1 && ch.model === c.model), 'no usage-only chunk');
      assertAnswer(c, chunks.map((ch) => ch.choices[0].delta.content ?? '').join(''), 1);
      const finishes = chunks.filter((ch) => ch.choices[0].finish_reason !== null);
      assert.equal(finishes.length, 1);
      assert.equal(finishes[0].choices[0].finish_reason, 'stop');
      if (hasUpstream(c)) assert.equal(onlyRequest(c).stream, true);
    },
  },
  {
    name: 'streaming with include_usage',
    async run(c) {
      const chunks = await stream(c, { messages: [imageMessage('Describe it.', c.images.png.dataUrl)], stream_options: { include_usage: true } });
      const last = chunks.at(-1)!;
      assert.deepEqual(last.choices, [], 'the usage chunk has no choices');
      assertUsage(last.usage);
      assert.equal(chunks.filter((ch) => ch.choices.length === 0).length, 1);
      assert.equal(chunks.at(-2)!.choices[0].finish_reason, 'stop');
      assertAnswer(c, chunks.map((ch) => ch.choices[0]?.delta.content ?? '').join(''), 1);
      if (hasUpstream(c)) assert.equal(onlyRequest(c).stream, true);
    },
  },
  {
    name: 'a tool call and its result',
    needs: ['upstream', 'tools'],
    async run(c) {
      const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [{
        type: 'function',
        function: { name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
      }];
      const ask: Message = { role: 'user', content: 'What is the weather in Oslo? Use get_weather.' };
      const first = await complete(c, { messages: [ask], tools, tool_choice: 'required' });
      const call = first.choices[0].message.tool_calls?.[0];
      assert.equal(first.choices[0].finish_reason, 'tool_calls');
      assert.ok(call && call.type === 'function');
      assert.equal(call.function.name, 'get_weather');
      assert.equal(typeof JSON.parse(call.function.arguments), 'object');
      assert.ok(call.id.length > 0);
      assert.deepEqual(onlyRequest(c).tools, ['get_weather']);
      c.harness.upstream!.reset();

      const second = await complete(c, {
        messages: [ask, { role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: call.id, content: '{"celsius":21}' }],
        tools,
      });
      assert.equal(second.choices[0].finish_reason, 'stop');
      assert.ok(second.choices[0].message.content);
      const got = onlyRequest(c);
      const assistant = got.turns.find((t) => t.role === 'assistant');
      assert.deepEqual(assistant?.toolCalls, ['get_weather']);
      assert.match(got.turns.at(-1)!.toolResults.join(''), /"celsius":\s*21/);
    },
  },
  {
    name: 'a streamed tool call, read by the SDK stream helper',
    needs: ['upstream', 'tools'],
    async run(c) {
      const runner = c.client.chat.completions.stream({
        model: c.model,
        messages: [{ role: 'user', content: 'What is the weather in Oslo? Use get_weather.' }],
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }],
        tool_choice: 'required',
        stream_options: { include_usage: true },
      });
      // The helper checks roles, indices, finish reasons and that each call has type and name.
      const final = await runner.finalChatCompletion();
      const call = final.choices[0].message.tool_calls?.[0];
      assert.equal(final.choices[0].finish_reason, 'tool_calls');
      assert.ok(call && call.type === 'function' && call.function.name === 'get_weather');
      assert.equal(typeof JSON.parse(call.function.arguments), 'object');
      assertUsage(final.usage);
      assert.equal(onlyRequest(c).stream, true);
    },
  },
  {
    name: 'n = 2 gives two choices',
    async run(c) {
      const out = await complete(c, { messages: [imageMessage('Describe it.', c.images.png.dataUrl)], n: 2 });
      assert.deepEqual(out.choices.map((ch) => ch.index), [0, 1]);
      for (const choice of out.choices) {
        assert.equal(choice.finish_reason, 'stop');
        assert.ok(choice.message.content);
      }
      assertUsage(out.usage);
      // Upstreams without n (Anthropic) get one call per choice.
      if (hasUpstream(c)) assert.equal(c.received().length, c.descriptor.nativeN ? 1 : 2);
    },
  },
  {
    name: 'JSON mode',
    async run(c) {
      c.harness.upstream?.answerJson?.({ images: 1, answer: 'a picture' });
      const out = await complete(c, { messages: [imageMessage('Describe this image as a JSON object.', c.images.png.dataUrl)], response_format: { type: 'json_object' } });
      const value = JSON.parse(out.choices[0].message.content ?? '') as unknown;
      assert.ok(value && typeof value === 'object' && !Array.isArray(value), 'a JSON object');
      if (hasUpstream(c)) assert.equal(onlyRequest(c).json, true);
    },
  },
  {
    name: 'stop sequences',
    async run(c) {
      const out = await complete(c, { messages: [imageMessage('Describe it. STOP. Then more.', c.images.png.dataUrl)], stop: ['STOP'] });
      const content = out.choices[0].message.content ?? '';
      assert.equal(content.includes('STOP'), false, 'the text ends before the stop sequence');
      assert.equal(out.choices[0].finish_reason, 'stop');
      if (hasUpstream(c)) {
        assert.ok(content.length > 0);
        assert.deepEqual(onlyRequest(c).stop, ['STOP']);
      }
    },
  },
  {
    name: 'max_tokens reached (length)',
    async run(c) {
      const out = await complete(c, { messages: [imageMessage('Describe this picture in detail.', c.images.png.dataUrl)], max_tokens: 3 });
      assert.equal(out.choices[0].finish_reason, 'length');
      assert.ok(out.usage && out.usage.completion_tokens <= 3 && out.usage.completion_tokens > 0);
      if (hasUpstream(c)) assert.equal(onlyRequest(c).maxTokens, 3);
    },
  },
  {
    // With a temperature too: Anthropic refuses one beside thinking, so there Iris leaves it out.
    name: 'reasoning_effort asks the upstream to think, and the reasoning comes back',
    needs: ['upstream'],
    async run(c) {
      const expected = c.descriptor.reasoning!;
      const messages = textMessage('Think it over, then say hello.');
      const out = await complete(c, { messages, reasoning_effort: 'high', verbosity: 'low', temperature: 0.5 });
      assert.ok(out.choices[0].message.content, 'an answer');
      assert.equal(out.choices[0].finish_reason, 'stop');
      const reasoning = (out.choices[0].message as { reasoning_content?: string }).reasoning_content;
      if (expected.returned) assert.match(reasoning ?? '', /\w/, 'the reasoning, as reasoning_content');
      const got = onlyRequest(c);
      assert.equal(got.reasoning, expected.high);
      assert.equal(got.verbosity, expected.verbosity ? 'low' : null, 'verbosity goes only where it means something');
      c.harness.upstream!.reset();

      const chunks = await stream(c, { messages, reasoning_effort: 'high', stream_options: { include_usage: true } });
      const delta = (ch: Chunk) => ch.choices[0]?.delta as { content?: string | null; reasoning_content?: string } | undefined;
      if (expected.returned) assert.match(chunks.map((ch) => delta(ch)?.reasoning_content ?? '').join(''), /\w/, 'streamed reasoning_content');
      assert.ok(chunks.map((ch) => delta(ch)?.content ?? '').join(''), 'a streamed answer');
      assertUsage(chunks.at(-1)!.usage);
      assert.equal(onlyRequest(c).reasoning, expected.high);
      c.harness.upstream!.reset();

      const none = await complete(c, { messages, reasoning_effort: 'none' });
      assert.equal((none.choices[0].message as { reasoning_content?: string }).reasoning_content, undefined, 'no reasoning for none');
      assert.equal(onlyRequest(c).reasoning, expected.none);
    },
  },
  {
    // Anthropic refuses thinking beside a forced tool, and in a tool loop whose thinking block
    // the client did not keep (OpenAI clients never do): there Iris must answer without it.
    name: 'reasoning_effort with a forced tool call and its result',
    needs: ['upstream', 'tools'],
    async run(c) {
      const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [{
        type: 'function',
        function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
      }];
      const ask: Message = { role: 'user', content: 'What is the weather in Oslo? Use get_weather.' };
      const first = await complete(c, { messages: [ask], tools, tool_choice: 'required', reasoning_effort: 'high', temperature: 0.5 });
      const call = first.choices[0].message.tool_calls?.[0];
      assert.equal(first.choices[0].finish_reason, 'tool_calls');
      assert.ok(call && call.type === 'function' && call.function.name === 'get_weather');
      const second = await complete(c, {
        messages: [ask, { role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: call.id, content: '{"celsius":21}' }],
        tools,
        reasoning_effort: 'high',
      });
      assert.equal(second.choices[0].finish_reason, 'stop');
      assert.ok(second.choices[0].message.content, 'an answer from the tool result');
    },
  },
  {
    name: 'upstream 400',
    needs: ['upstream'],
    async run(c) {
      failNext(c, { kind: 'status', status: 400, message: 'The upstream did not like this request.' });
      const err = await expectError(complete(c, { messages: textMessage('x') }), 400);
      assert.match(err.message, /The upstream did not like this request\./);
    },
  },
  {
    name: 'upstream 401',
    needs: ['upstream'],
    async run(c) {
      failNext(c, { kind: 'status', status: 401, message: 'Invalid upstream key.' });
      const err = await expectError(complete(c, { messages: textMessage('x') }), 401);
      assert.match(err.message, /Invalid upstream key\./);
      // Whose key failed: Iris's for the provider, not the client's for Iris.
      assert.match(err.message, /upstream provider '\w[\w-]*' rejected the credentials Iris holds for it/);
      assert.equal(err.code, 'upstream_authentication_failed');
    },
  },
  {
    name: 'upstream 429 keeps Retry-After',
    needs: ['upstream'],
    async run(c) {
      failNext(c, { kind: 'status', status: 429, message: 'Slow down.', retryAfter: '7' });
      const err = await expectError(complete(c, { messages: textMessage('x') }), 429);
      assert.equal(err.headers?.get('retry-after'), '7');
    },
  },
  {
    name: 'upstream 500 becomes 502',
    needs: ['upstream'],
    async run(c) {
      failNext(c, { kind: 'status', status: 500, message: 'Internal error.' });
      const err = await expectError(complete(c, { messages: textMessage('x') }), 502);
      // Which provider failed, with what it said.
      assert.match(err.message, /upstream provider '[\w-]+' failed.*Internal error\./);
    },
  },
  {
    name: 'a 200 whose body is not JSON becomes 502 naming the provider',
    needs: ['upstream'],
    async run(c) {
      failNext(c, { kind: 'not-json' });
      const err = await expectError(complete(c, { messages: textMessage('x') }), 502);
      assert.equal((err.error as { type?: string }).type, 'upstream_error');
      assert.match((err.error as { message: string }).message, /^The upstream provider '[\w-]+' sent a response that is not (JSON|a chat completion)\.$/);
    },
  },
  {
    name: 'upstream overloaded (529/503) becomes 503',
    needs: ['upstream'],
    async run(c) {
      failNext(c, { kind: 'overloaded', message: 'Overloaded.' });
      const err = await expectError(complete(c, { messages: textMessage('x') }), 503);
      assert.match(err.message, /upstream provider '[\w-]+' is overloaded: Overloaded\./);
    },
  },
  {
    name: 'upstream timeout becomes 504',
    needs: ['upstream'],
    async run(c) {
      failNext(c, { kind: 'hang' });
      const started = Date.now();
      const err = await expectError(complete(c, { messages: textMessage('x') }), 504);
      assert.equal((err.error as { type?: string }).type, 'timeout_error');
      // Worded alike whatever the dialect, as every upstream failure is.
      assert.match(String((err.error as { message?: string }).message), /^The upstream provider '\w[\w-]*' did not answer within \d+ ms$/);
      assert.ok(Date.now() - started < c.descriptor.timeoutMs + 3000, 'answered soon after the timeout');
    },
  },
  {
    name: 'a stream that dies halfway ends in an error',
    needs: ['upstream'],
    async run(c) {
      failNext(c, { kind: 'die-mid-stream' });
      const chunks: Chunk[] = [];
      await assert.rejects(async () => {
        for await (const chunk of await c.client.chat.completions.create({ model: c.model, stream: true, messages: textMessage('x') })) chunks.push(chunk);
      }, (err: unknown) => err instanceof Error);
      assert.ok(chunks.length >= 1, 'the chunks before the break arrived');
      assert.equal(chunks.some((ch) => ch.choices[0]?.finish_reason), false, 'no finish_reason for a broken answer');
    },
  },
];

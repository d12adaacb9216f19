// The Vercel AI SDK (`ai`) with its OpenAI provider (`@ai-sdk/openai`), used as its docs show,
// against a real Iris on loopback in front of the fake OpenAI upstream. `createOpenAI()` defaults
// to OpenAI's Responses API, which Iris does not serve: `.chat(model)` selects Chat Completions.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOpenAI, type OpenAIProvider } from '@ai-sdk/openai';
import { APICallError, generateObject, generateText, isStepCount, Output, streamText, tool } from 'ai';
import { z } from 'zod';
import { SAMPLE_IMAGE_DATA_URL } from '../../src/startup-banner.ts';
import { fakeReply } from '../support/fake-openai-upstream.ts';
import { startIris, type RunningIris } from '../support/start-iris.ts';
import { chatRequests, startStack, type Stack } from '../e2e/e2e-setup.ts';
import { NOT_AN_IMAGE, PNG_BYTES, PNG_DATA_URL, contentReply, fakeUsage, requestsSince } from './client-helpers.ts';
import { apiCallError, type ErrorData } from './ai-sdk-helpers.ts';

describe('AI SDK @ai-sdk/openai chat model against Iris', () => {
  let stack: Stack;
  let openai: OpenAIProvider;
  before(async () => {
    stack = await startStack();
    openai = createOpenAI({ baseURL: stack.iris.baseURL, apiKey: stack.iris.apiKey });
  });
  after(() => stack?.close());

  it('generateText with a Buffer image: text, the image as a data URL upstream, usage and response metadata', async () => {
    const from = chatRequests(stack.upstream).length;
    const result = await generateText({
      model: openai.chat('gpt-4o-mini'),
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is in this picture?' }, { type: 'file', mediaType: 'image/png', data: PNG_BYTES }] }],
    });
    assert.equal(result.text, 'I see 1 image. You said: What is in this picture?');
    assert.equal(result.finishReason, 'stop');
    const [sent] = requestsSince(stack.upstream, from);
    assert.deepEqual(sent.messages[0].content, [
      { type: 'text', text: 'What is in this picture?' },
      { type: 'image_url', image_url: { url: PNG_DATA_URL } },
    ]);
    // 3 + (3 + 5 words) + 765 for one image at detail auto; 11 words answered.
    assert.deepEqual([result.usage.inputTokens, result.usage.outputTokens, result.usage.totalTokens], [776, 11, 787]);
    assert.equal(result.response.modelId, 'gpt-4o-mini');
    assert.match(result.response.id, /^chatcmpl-/);
    assert.match(String(result.response.headers?.['x-request-id']), /^req_/);
  });

  it('generateText with a data-URL image and imageDetail low: detail reaches upstream and is counted', async () => {
    const from = chatRequests(stack.upstream).length;
    const result = await generateText({
      model: openai.chat('vision'),
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Describe it' },
            { type: 'file', mediaType: 'image/png', data: PNG_DATA_URL, providerOptions: { openai: { imageDetail: 'low' } } },
          ],
        },
      ],
    });
    const [sent] = requestsSince(stack.upstream, from);
    assert.equal(sent.model, 'gpt-4o', 'the model id is mapped upstream');
    assert.deepEqual(sent.messages[0].content, [
      { type: 'text', text: 'Describe it' },
      { type: 'image_url', image_url: { url: PNG_DATA_URL, detail: 'low' } },
    ]);
    assert.equal(result.text, 'I see 1 image. You said: Describe it');
    assert.equal(result.usage.inputTokens, 3 + 3 + 2 + 85);
    assert.equal(result.response.modelId, 'vision', 'the client sees the model it asked for');
  });

  it('streamText with a Uint8Array image: the text in pieces, usage from the usage chunk, finish reason', async () => {
    const from = chatRequests(stack.upstream).length;
    const result = streamText({
      model: openai.chat('gpt-4o-mini'),
      messages: [{ role: 'user', content: [{ type: 'text', text: 'stream it' }, { type: 'file', mediaType: 'image', data: new Uint8Array(PNG_BYTES) }] }],
    });
    const pieces: string[] = [];
    for await (const piece of result.textStream) pieces.push(piece);
    assert.equal(pieces.join(''), 'I see 1 image. You said: stream it');
    assert.ok(pieces.length > 3, 'streamed in pieces');
    assert.equal(await result.finishReason, 'stop');
    const [sent] = requestsSince(stack.upstream, from);
    assert.equal(sent.stream, true);
    assert.deepEqual(sent.stream_options, { include_usage: true });
    assert.deepEqual((sent.messages[0].content as unknown[])[1], { type: 'image_url', image_url: { url: PNG_DATA_URL } });
    const usage = await result.usage;
    const expected = fakeUsage([sent]);
    assert.deepEqual([usage.inputTokens, usage.outputTokens, usage.totalTokens], [expected.prompt, expected.completion, expected.total]);
    assert.equal(expected.prompt, 3 + 3 + 2 + 765);
  });

  it('maxOutputTokens and stopSequences: finish reason length, the cut text, the counted tokens', async () => {
    const result = await generateText({ model: openai.chat('gpt-4o-mini'), prompt: 'one two three four', maxOutputTokens: 3 });
    assert.equal(result.finishReason, 'length');
    assert.equal(result.text, 'I see 0');
    assert.equal(result.usage.outputTokens, 3);
    const stopped = await generateText({ model: openai.chat('gpt-4o-mini'), prompt: 'one two', stopSequences: ['said'] });
    assert.equal(stopped.finishReason, 'stop');
    assert.equal(stopped.text, 'I see 0 images. You ');
  });

  it('a tool round trip with generateText: the call, its arguments, the result sent back, the final answer, total usage', async () => {
    const from = chatRequests(stack.upstream).length;
    const seen: unknown[] = [];
    const result = await generateText({
      model: openai.chat('gpt-4o-mini'),
      prompt: 'Weather in Paris?',
      tools: {
        weather: tool({
          description: 'The weather in a city',
          inputSchema: z.object({ city: z.string() }),
          execute: async ({ city }) => {
            seen.push(city);
            return { city, celsius: 21 };
          },
        }),
      },
      stopWhen: isStepCount(3),
      // The fake upstream calls a tool only when made to: the first step forces it.
      prepareStep: ({ stepNumber }) => (stepNumber === 0 ? { toolChoice: 'required' as const } : {}),
    });
    assert.deepEqual(seen, ['Weather in Paris?']);
    assert.equal(result.steps.length, 2);
    const [call] = result.steps[0].toolCalls;
    assert.equal(call.toolName, 'weather');
    assert.deepEqual(call.input, { city: 'Weather in Paris?' });
    assert.match(call.toolCallId, /^call_/);
    assert.equal(result.steps[0].finishReason, 'tool-calls');
    assert.equal(result.text, 'I see 0 images. You said: Weather in Paris?');

    const sent = requestsSince(stack.upstream, from);
    assert.equal(sent.length, 2);
    assert.equal(sent[0].tool_choice, 'required');
    assert.deepEqual(sent[0].tools?.[0], {
      type: 'function',
      function: {
        name: 'weather',
        description: 'The weather in a city',
        parameters: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
      },
    });
    assert.deepEqual(sent[1].messages.slice(1), [
      { role: 'assistant', content: null, tool_calls: [{ id: call.toolCallId, type: 'function', function: { name: 'weather', arguments: '{"city":"Weather in Paris?"}' } }] },
      { role: 'tool', tool_call_id: call.toolCallId, content: '{"city":"Weather in Paris?","celsius":21}' },
    ]);
    const expected = fakeUsage(sent);
    assert.deepEqual([result.totalUsage.inputTokens, result.totalUsage.outputTokens, result.totalUsage.totalTokens], [expected.prompt, expected.completion, expected.total]);
  });

  it('streamText with two tools called in parallel: each call assembled from its streamed argument fragments', async () => {
    const result = streamText({
      model: openai.chat('gpt-4o-mini'),
      prompt: 'Look both up',
      tools: {
        lookup: tool({ inputSchema: z.object({ query: z.string() }) }),
        count: tool({ inputSchema: z.object({ n: z.number() }) }),
      },
      toolChoice: 'required',
    });
    await result.consumeStream();
    const calls = await result.toolCalls;
    assert.deepEqual(calls.map((c) => [c.toolName, c.input]), [['lookup', { query: 'Look both up' }], ['count', { n: 0 }]]);
    assert.equal(new Set(calls.map((c) => c.toolCallId)).size, 2);
    assert.equal(await result.finishReason, 'tool-calls');
    assert.ok(((await result.usage).outputTokens ?? 0) > 0);
  });

  it('structured output with Output.object and with generateObject: strict json_schema upstream, the parsed object, usage', async () => {
    const schema = z.object({ animal: z.string(), legs: z.number() });
    const from = chatRequests(stack.upstream).length;
    stack.upstream.script(contentReply('{"animal":"cat","legs":4}', { prompt_tokens: 31, completion_tokens: 9 }));
    const result = await generateText({ model: openai.chat('gpt-4o-mini'), output: Output.object({ schema }), prompt: 'An animal, as JSON' });
    assert.deepEqual(result.output, { animal: 'cat', legs: 4 });
    assert.deepEqual([result.usage.inputTokens, result.usage.outputTokens, result.usage.totalTokens], [31, 9, 40]);
    const [sent] = requestsSince(stack.upstream, from);
    assert.deepEqual(sent.response_format, {
      type: 'json_schema',
      json_schema: {
        name: 'response',
        strict: true,
        schema: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { animal: { type: 'string' }, legs: { type: 'number' } }, required: ['animal', 'legs'], additionalProperties: false },
      },
    });

    stack.upstream.script(contentReply('{"animal":"spider","legs":8}'));
    const object = await generateObject({ model: openai.chat('gpt-4o-mini'), schema, prompt: 'Another animal' });
    assert.deepEqual(object.object, { animal: 'spider', legs: 8 });
    assert.equal(object.usage.totalTokens, 40);
  });

  it('a wrong key: APICallError 401 with Iris message and code, not retryable', async () => {
    const wrong = createOpenAI({ baseURL: stack.iris.baseURL, apiKey: 'sk-wrong-key-0000000000' });
    const err = await apiCallError(() => generateText({ model: wrong.chat('gpt-4o-mini'), prompt: 'hi', maxRetries: 0 }));
    assert.equal(err.statusCode, 401);
    assert.equal(err.message, 'Incorrect API key provided: sk-w****0000.');
    assert.equal((err.data as ErrorData).error.code, 'invalid_api_key');
    assert.equal(err.isRetryable, false);
  });

  it('an unknown model: APICallError 404 model_not_found, for generateText and (via onError) streamText', async () => {
    const err = await apiCallError(() => generateText({ model: openai.chat('no-such-model'), prompt: 'hi', maxRetries: 0 }));
    assert.equal(err.statusCode, 404);
    assert.equal(err.message, 'The model `no-such-model` does not exist or you do not have access to it.');
    assert.deepEqual((err.data as ErrorData).error, { message: err.message, type: 'invalid_request_error', param: null, code: 'model_not_found' });

    const errors: unknown[] = [];
    const stream = streamText({ model: openai.chat('no-such-model'), prompt: 'hi', maxRetries: 0, onError: ({ error }) => void errors.push(error) });
    const pieces: string[] = [];
    for await (const piece of stream.textStream) pieces.push(piece);
    assert.deepEqual(pieces, []);
    assert.equal(errors.length, 1);
    const streamErr = errors[0];
    assert.ok(APICallError.isInstance(streamErr));
    assert.equal(streamErr.statusCode, 404);
    assert.equal((streamErr.data as ErrorData).error.code, 'model_not_found');
  });

  it('bytes that are not an image: APICallError 400 invalid_image whose param points at the image part', async () => {
    const err = await apiCallError(() =>
      generateText({
        model: openai.chat('gpt-4o-mini'),
        maxRetries: 0,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'file', mediaType: 'image/png', data: NOT_AN_IMAGE }] }],
      }),
    );
    assert.equal(err.statusCode, 400);
    assert.match(err.message, /not an image/);
    assert.deepEqual(
      [(err.data as ErrorData).error.code, (err.data as ErrorData).error.param],
      ['invalid_image', 'messages[0].content[1].image_url.url'],
    );
  });

  it("parallelToolCalls without tools: a 400 worded as OpenAI words it, param 'parallel_tool_calls'", async () => {
    const err = await apiCallError(() =>
      generateText({ model: openai.chat('gpt-4o-mini'), prompt: 'hi', maxRetries: 0, providerOptions: { openai: { parallelToolCalls: false } } }),
    );
    assert.equal(err.statusCode, 400);
    assert.equal(err.message, "Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed when 'tools' are specified.");
    assert.equal((err.data as ErrorData).error.param, 'parallel_tool_calls');
  });

  it("the provider's default model (OpenAI's Responses API): a 404 that says Iris serves Chat Completions", async () => {
    const err = await apiCallError(() => generateText({ model: openai('gpt-4o-mini'), prompt: 'hi', maxRetries: 0 }));
    assert.equal(err.statusCode, 404);
    assert.equal(err.url, `${stack.iris.baseURL}/responses`);
    assert.equal((err.data as ErrorData).error.code, 'unknown_url');
    assert.match(err.message, /^Unknown request URL: POST \/v1\/responses\. .*Chat Completions API \(POST \/v1\/chat\/completions\)/);
  });

  it('a 429 is retryable and retried after Retry-After; with retries off the client gets it', async () => {
    stack.upstream.script({ kind: 'error', status: 429 });
    const err = await apiCallError(() => generateText({ model: openai.chat('gpt-4o-mini'), prompt: 'hi', maxRetries: 0 }));
    assert.equal(err.statusCode, 429);
    assert.equal(err.isRetryable, true);
    assert.match(err.message, /^Rate limit reached for gpt-4o-mini/);
    assert.equal(err.responseHeaders?.['retry-after'], '1');

    stack.upstream.script({ kind: 'error', status: 429 });
    const retried = await generateText({ model: openai.chat('gpt-4o-mini'), prompt: 'again', maxRetries: 1 });
    assert.equal(retried.text, fakeReply({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'again' }] }).content);
  });

  it('an upstream that fails mid-stream: the streamed text so far, then an error part with Iris message', async () => {
    stack.upstream.script({ kind: 'die-mid-stream', afterChunks: 3 });
    const errors: unknown[] = [];
    const result = streamText({ model: openai.chat('gpt-4o-mini'), prompt: 'a long answer', maxRetries: 0, onError: ({ error }) => void errors.push(error) });
    const parts: string[] = [];
    let text = '';
    for await (const part of result.fullStream) {
      parts.push(part.type);
      if (part.type === 'text-delta') text += part.text;
    }
    assert.equal(text, 'I see');
    assert.ok(parts.includes('error'));
    assert.equal(errors.length, 1);
    assert.match(String((errors[0] as Error).message), /upstream provider 'fake' failed/);
    assert.equal(await result.finishReason, 'error');
  });
});

describe('AI SDK @ai-sdk/openai with the embedded engine', () => {
  let iris: RunningIris;
  before(async () => {
    iris = await startIris({ engine: { enabled: true, threads: 1 } });
  });
  after(() => iris?.close());

  it('Image-Recognition reads a Buffer image offline and reports usage', async () => {
    const openai = createOpenAI({ baseURL: iris.baseURL, apiKey: iris.apiKey });
    const image = Buffer.from(SAMPLE_IMAGE_DATA_URL.slice(SAMPLE_IMAGE_DATA_URL.indexOf(',') + 1), 'base64');
    const result = streamText({
      model: openai.chat('Image-Recognition'),
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What colours are in this image?' }, { type: 'file', mediaType: 'image/png', data: image }] }],
    });
    assert.match(await result.text, /red/);
    assert.equal(await result.finishReason, 'stop');
    const usage = await result.usage;
    assert.ok((usage.inputTokens ?? 0) > 0 && (usage.outputTokens ?? 0) > 0, JSON.stringify(usage));
    assert.equal(usage.totalTokens, (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0));
  });
});

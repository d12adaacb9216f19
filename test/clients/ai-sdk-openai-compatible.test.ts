// The Vercel AI SDK (`ai`) with `@ai-sdk/openai-compatible`, the provider its docs give for
// self-hosted OpenAI-compatible servers, against a real Iris on loopback in front of the fake
// OpenAI upstream.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOpenAICompatible, type OpenAICompatibleProvider } from '@ai-sdk/openai-compatible';
import { APICallError, generateText, isStepCount, Output, streamText, tool } from 'ai';
import { z } from 'zod';
import { chatRequests, startStack, type Stack } from '../e2e/e2e-setup.ts';
import { NOT_AN_IMAGE, PNG_BYTES, PNG_DATA_URL, contentReply, fakeUsage, requestsSince } from './client-helpers.ts';
import { apiCallError, type ErrorData } from './ai-sdk-helpers.ts';

describe('AI SDK @ai-sdk/openai-compatible against Iris', () => {
  let stack: Stack;
  let iris: OpenAICompatibleProvider;
  before(async () => {
    stack = await startStack();
    // includeUsage: ask for usage in streams, as the provider's docs suggest for servers that support it.
    iris = createOpenAICompatible({ name: 'iris', baseURL: stack.iris.baseURL, apiKey: stack.iris.apiKey, includeUsage: true });
  });
  after(() => stack?.close());

  it('generateText with a Uint8Array image (media type "image"): the text, the data URL upstream, usage', async () => {
    const from = chatRequests(stack.upstream).length;
    const result = await generateText({
      model: iris.chatModel('gpt-4o-mini'),
      messages: [{ role: 'user', content: [{ type: 'text', text: 'How many cats?' }, { type: 'file', mediaType: 'image', data: new Uint8Array(PNG_BYTES) }] }],
    });
    assert.equal(result.text, 'I see 1 image. You said: How many cats?');
    assert.equal(result.finishReason, 'stop');
    const [sent] = requestsSince(stack.upstream, from);
    assert.deepEqual(sent.messages[0].content, [
      { type: 'text', text: 'How many cats?' },
      { type: 'image_url', image_url: { url: PNG_DATA_URL } },
    ]);
    const expected = fakeUsage([sent]);
    assert.deepEqual([result.usage.inputTokens, result.usage.outputTokens, result.usage.totalTokens], [expected.prompt, expected.completion, expected.total]);
    assert.equal(result.response.modelId, 'gpt-4o-mini');
  });

  it('streamText with a data-URL image: the streamed text, usage from the usage chunk', async () => {
    const from = chatRequests(stack.upstream).length;
    const result = streamText({
      model: iris.chatModel('vision'),
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Stream please' }, { type: 'file', mediaType: 'image/png', data: PNG_DATA_URL }] }],
    });
    assert.equal(await result.text, 'I see 1 image. You said: Stream please');
    assert.equal(await result.finishReason, 'stop');
    const [sent] = requestsSince(stack.upstream, from);
    assert.deepEqual(sent.stream_options, { include_usage: true });
    const expected = fakeUsage([sent]);
    const usage = await result.usage;
    assert.deepEqual([usage.inputTokens, usage.outputTokens, usage.totalTokens], [expected.prompt, expected.completion, expected.total]);
  });

  it('a streamed tool round trip: the call assembled from fragments, the result sent back, the final answer, total usage', async () => {
    const from = chatRequests(stack.upstream).length;
    const result = streamText({
      model: iris.chatModel('gpt-4o-mini'),
      prompt: 'Convert 3 inches',
      tools: {
        convert: tool({
          description: 'Unit conversion',
          inputSchema: z.object({ quantity: z.string(), unit: z.enum(['cm', 'mm']) }),
          execute: async ({ quantity, unit }) => `${quantity} = 7.62 ${unit}`,
        }),
      },
      stopWhen: isStepCount(3),
      prepareStep: ({ stepNumber }) => (stepNumber === 0 ? { toolChoice: { type: 'tool' as const, toolName: 'convert' as const } } : {}),
    });
    assert.equal(await result.text, 'I see 0 images. You said: Convert 3 inches');
    const steps = await result.steps;
    assert.equal(steps.length, 2);
    const [call] = steps[0].toolCalls;
    assert.deepEqual([call.toolName, call.input], ['convert', { quantity: 'Convert 3 inches', unit: 'cm' }]);
    assert.deepEqual(steps[0].toolResults.map((r) => r.output), ['Convert 3 inches = 7.62 cm']);

    const sent = requestsSince(stack.upstream, from);
    assert.deepEqual(sent[0].tool_choice, { type: 'function', function: { name: 'convert' } });
    assert.deepEqual(sent[1].messages.at(-1), { role: 'tool', tool_call_id: call.toolCallId, content: 'Convert 3 inches = 7.62 cm' });
    const expected = fakeUsage(sent);
    const total = await result.totalUsage;
    assert.deepEqual([total.inputTokens, total.outputTokens, total.totalTokens], [expected.prompt, expected.completion, expected.total]);
  });

  it('structured output: json_schema with supportsStructuredOutputs, json_object without; the object either way', async () => {
    const schema = z.object({ colour: z.string(), count: z.number() });
    const strict = createOpenAICompatible({ name: 'iris', baseURL: stack.iris.baseURL, apiKey: stack.iris.apiKey, supportsStructuredOutputs: true });
    let from = chatRequests(stack.upstream).length;
    stack.upstream.script(contentReply('{"colour":"red","count":2}', { prompt_tokens: 20, completion_tokens: 8 }));
    const result = await generateText({ model: strict.chatModel('gpt-4o-mini'), output: Output.object({ schema }), prompt: 'Colours as JSON' });
    assert.deepEqual(result.output, { colour: 'red', count: 2 });
    assert.deepEqual([result.usage.inputTokens, result.usage.outputTokens, result.usage.totalTokens], [20, 8, 28]);
    let [sent] = requestsSince(stack.upstream, from);
    assert.equal(sent.response_format?.type, 'json_schema');

    from = chatRequests(stack.upstream).length;
    stack.upstream.script(contentReply('{"colour":"blue","count":1}'));
    const loose = await generateText({ model: iris.chatModel('gpt-4o-mini'), output: Output.object({ schema }), prompt: 'Colours as JSON' });
    assert.deepEqual(loose.output, { colour: 'blue', count: 1 });
    [sent] = requestsSince(stack.upstream, from);
    assert.deepEqual(sent.response_format, { type: 'json_object' });
  });

  it('errors: 401, 404 and 400 as APICallErrors with Iris status, message and code', async () => {
    const wrong = createOpenAICompatible({ name: 'iris', baseURL: stack.iris.baseURL, apiKey: 'not-the-key-123456' });
    const unauthorised = await apiCallError(() => generateText({ model: wrong.chatModel('gpt-4o-mini'), prompt: 'hi', maxRetries: 0 }));
    assert.equal(unauthorised.statusCode, 401);
    assert.equal(unauthorised.message, 'Incorrect API key provided: no****56.'); // 18 characters: two at each end
    assert.equal((unauthorised.data as ErrorData).error.code, 'invalid_api_key');

    const noKey = createOpenAICompatible({ name: 'iris', baseURL: stack.iris.baseURL });
    const missing = await apiCallError(() => generateText({ model: noKey.chatModel('gpt-4o-mini'), prompt: 'hi', maxRetries: 0 }));
    assert.equal(missing.statusCode, 401);
    assert.match(missing.message, /^You didn't provide an API key/);

    const unknown = await apiCallError(() => generateText({ model: iris.chatModel('gpt-5-imaginary'), prompt: 'hi', maxRetries: 0 }));
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.message, 'The model `gpt-5-imaginary` does not exist or you do not have access to it.');
    assert.equal((unknown.data as ErrorData).error.code, 'model_not_found');

    const badImage = await apiCallError(() =>
      generateText({
        model: iris.chatModel('gpt-4o-mini'),
        maxRetries: 0,
        messages: [{ role: 'user', content: [{ type: 'file', mediaType: 'image/jpeg', data: NOT_AN_IMAGE }] }],
      }),
    );
    assert.equal(badImage.statusCode, 400);
    assert.match(badImage.message, /not an image/);
    assert.deepEqual((badImage.data as ErrorData).error, {
      message: badImage.message,
      type: 'invalid_request_error',
      param: 'messages[0].content[0].image_url.url',
      code: 'invalid_image',
    });
  });

  it('a stream refused before it starts reaches onError as an APICallError with the status', async () => {
    const errors: unknown[] = [];
    const result = streamText({
      model: iris.chatModel('gpt-4o-mini'),
      maxRetries: 0,
      messages: [{ role: 'user', content: [{ type: 'file', mediaType: 'image/png', data: NOT_AN_IMAGE }] }],
      onError: ({ error }) => void errors.push(error),
    });
    await result.consumeStream();
    assert.equal(errors.length, 1);
    const err = errors[0];
    assert.ok(APICallError.isInstance(err));
    assert.equal(err.statusCode, 400);
    assert.equal((err.data as ErrorData).error.code, 'invalid_image');
  });
});

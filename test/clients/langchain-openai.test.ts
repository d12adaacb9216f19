// LangChain JS: `ChatOpenAI` from `@langchain/openai` (Chat Completions, which it uses unless
// told to use the Responses API) with `configuration.baseURL`, used as its docs show, against a
// real Iris on loopback in front of the fake OpenAI upstream.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AIMessageChunk, HumanMessage, type AIMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { ChatOpenAI, ChatOpenAICompletions } from '@langchain/openai';
import { z } from 'zod';
import { chatRequests, startStack, type Stack } from '../e2e/e2e-setup.ts';
import { NOT_AN_IMAGE, PNG_DATA_URL, contentReply, fakeUsage, requestsSince } from './client-helpers.ts';

/** What LangChain throws for an HTTP error: the OpenAI SDK's APIError, with LangChain's additions. */
interface LangChainApiError extends Error {
  status?: number;
  code?: string | null;
  param?: string | null;
  error?: { message: string; type: string; param: string | null; code: string | null };
  lc_error_code?: string;
}

async function rejection(call: () => Promise<unknown>): Promise<LangChainApiError> {
  try {
    await call();
  } catch (err) {
    assert.ok(err instanceof Error, String(err));
    return err as LangChainApiError;
  }
  assert.fail('the call succeeded');
}

describe('LangChain ChatOpenAI against Iris', () => {
  let stack: Stack;
  let chat: (model?: string, apiKey?: string) => ChatOpenAI;
  before(async () => {
    stack = await startStack();
    chat = (model = 'gpt-4o-mini', apiKey = stack.iris.apiKey) =>
      new ChatOpenAI({ model, apiKey, configuration: { baseURL: stack.iris.baseURL }, maxRetries: 0 });
  });
  after(() => stack?.close());

  it('invoke with an image_url data URL: the text, usage_metadata and response_metadata', async () => {
    const from = chatRequests(stack.upstream).length;
    const message = new HumanMessage({
      content: [
        { type: 'text', text: 'What is on the table?' },
        { type: 'image_url', image_url: { url: PNG_DATA_URL } },
      ],
    });
    const reply = await chat().invoke([message]);
    assert.equal(reply.content, 'I see 1 image. You said: What is on the table?');
    const [sent] = requestsSince(stack.upstream, from);
    assert.deepEqual((sent.messages[0].content as unknown[])[1], { type: 'image_url', image_url: { url: PNG_DATA_URL } });
    const expected = fakeUsage([sent]);
    assert.equal(reply.usage_metadata?.input_tokens, expected.prompt);
    assert.equal(reply.usage_metadata?.output_tokens, expected.completion);
    assert.equal(reply.usage_metadata?.total_tokens, expected.total);
    assert.equal(reply.response_metadata.finish_reason, 'stop');
    assert.equal(reply.response_metadata.model_name, 'gpt-4o-mini');
    assert.match(String(reply.id), /^chatcmpl-/);
  });

  it('a standard (v1) image content block with base64 data: sent as an image_url data URL, low detail counted', async () => {
    const from = chatRequests(stack.upstream).length;
    const base64 = PNG_DATA_URL.slice(PNG_DATA_URL.indexOf(',') + 1);
    const message = new HumanMessage({
      contentBlocks: [
        { type: 'text', text: 'Describe it' },
        { type: 'image', data: base64, mimeType: 'image/png' },
      ],
    });
    const reply = await chat('vision').invoke([message]);
    assert.equal(reply.content, 'I see 1 image. You said: Describe it');
    const [sent] = requestsSince(stack.upstream, from);
    assert.deepEqual((sent.messages[0].content as unknown[])[1], { type: 'image_url', image_url: { url: PNG_DATA_URL } });
    assert.equal(reply.usage_metadata?.input_tokens, fakeUsage([sent]).prompt);

    const low = await chat().invoke([
      new HumanMessage({ content: [{ type: 'text', text: 'Describe it' }, { type: 'image_url', image_url: { url: PNG_DATA_URL, detail: 'low' } }] }),
    ]);
    assert.equal(low.usage_metadata?.input_tokens, 3 + 3 + 2 + 85);
  });

  it('an image_url given as a bare string is refused with the 400 OpenAI gives (LangChain passes it on as is)', async () => {
    const err = await rejection(() =>
      chat().invoke([new HumanMessage({ content: [{ type: 'text', text: 'x' }, { type: 'image_url', image_url: PNG_DATA_URL }] })]),
    );
    assert.equal(err.status, 400);
    assert.equal(err.error?.message, "Invalid type for 'messages[0].content[1].image_url': expected an object, but got a string instead.");
    assert.equal(err.error?.param, 'messages[0].content[1].image_url');
  });

  it('stream: the text in chunks and usage_metadata from the usage chunk', async () => {
    const from = chatRequests(stack.upstream).length;
    let merged: AIMessageChunk | undefined;
    let chunks = 0;
    for await (const chunk of await chat().stream('Tell me about this')) {
      chunks++;
      merged = merged ? merged.concat(chunk) : chunk;
    }
    assert.ok(merged && chunks > 3);
    assert.equal(merged.content, 'I see 0 images. You said: Tell me about this');
    const [sent] = requestsSince(stack.upstream, from);
    assert.equal(sent.stream, true);
    assert.deepEqual(sent.stream_options, { include_usage: true });
    const expected = fakeUsage([sent]);
    assert.deepEqual(
      [merged.usage_metadata?.input_tokens, merged.usage_metadata?.output_tokens, merged.usage_metadata?.total_tokens],
      [expected.prompt, expected.completion, expected.total],
    );
  });

  it('a tool round trip: bindTools, the tool call and its arguments, the ToolMessage sent back, the final answer', async () => {
    const from = chatRequests(stack.upstream).length;
    const weather = tool(async ({ city, unit }) => JSON.stringify({ city, unit, temperature: 21 }), {
      name: 'get_weather',
      description: 'The weather in a city',
      schema: z.object({ city: z.string(), unit: z.enum(['celsius', 'fahrenheit']) }),
    });
    const question = new HumanMessage('Weather in Oslo?');
    const asked = await chat().bindTools([weather], { tool_choice: 'required' }).invoke([question]);
    assert.equal(asked.tool_calls?.length, 1);
    const call = asked.tool_calls![0];
    assert.equal(call.name, 'get_weather');
    assert.deepEqual(call.args, { city: 'Weather in Oslo?', unit: 'celsius' });
    assert.equal(asked.response_metadata.finish_reason, 'tool_calls');

    const result = await weather.invoke(call);
    const answer = await chat().bindTools([weather]).invoke([question, asked, result]);
    assert.equal(answer.content, 'I see 0 images. You said: Weather in Oslo?');

    const sent = requestsSince(stack.upstream, from);
    assert.equal(sent.length, 2);
    assert.equal(sent[0].tool_choice, 'required');
    assert.equal(sent[0].tools?.[0].type === 'function' && sent[0].tools[0].function.name, 'get_weather');
    assert.deepEqual(sent[1].messages.slice(1), [
      { role: 'assistant', content: '', tool_calls: [{ id: call.id, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Weather in Oslo?","unit":"celsius"}' } }] },
      { role: 'tool', name: 'get_weather', tool_call_id: call.id, content: '{"city":"Weather in Oslo?","unit":"celsius","temperature":21}' },
    ]);
    assert.equal(answer.usage_metadata?.input_tokens, fakeUsage([sent[1]]).prompt);
  });

  it('streamed tool calls: tool_call_chunks merge into the calls with their arguments', async () => {
    const a = tool(async () => 'a', { name: 'find_objects', schema: z.object({ label: z.string() }) });
    const b = tool(async () => 'b', { name: 'count_faces', schema: z.object({ min: z.number() }) });
    let merged: AIMessageChunk | undefined;
    for await (const chunk of await chat().bindTools([a, b], { tool_choice: 'required' }).stream('Both, please')) {
      merged = merged ? merged.concat(chunk) : chunk;
    }
    assert.deepEqual(
      merged?.tool_calls?.map((c) => [c.name, c.args]),
      [['find_objects', { label: 'Both, please' }], ['count_faces', { min: 0 }]],
    );
    assert.equal(new Set(merged?.tool_calls?.map((c) => c.id)).size, 2);
    assert.ok((merged?.usage_metadata?.output_tokens ?? 0) > 0);
  });

  it('withStructuredOutput: json_schema (the default) and function calling, parsed, with the raw message usage', async () => {
    const schema = z.object({ animal: z.string(), legs: z.number() });
    let from = chatRequests(stack.upstream).length;
    stack.upstream.script(contentReply('{"animal":"horse","legs":4}', { prompt_tokens: 17, completion_tokens: 9 }));
    const out = await chat().withStructuredOutput(schema, { name: 'animal', includeRaw: true }).invoke('An animal, please');
    assert.deepEqual(out.parsed, { animal: 'horse', legs: 4 });
    const usage = (out.raw as AIMessage).usage_metadata;
    assert.deepEqual([usage?.input_tokens, usage?.output_tokens, usage?.total_tokens], [17, 9, 26]);
    let [sent] = requestsSince(stack.upstream, from);
    assert.equal(sent.response_format?.type, 'json_schema');
    assert.equal(sent.response_format?.type === 'json_schema' && sent.response_format.json_schema.name, 'animal');

    from = chatRequests(stack.upstream).length;
    const called = await chat().withStructuredOutput(schema, { name: 'animal', method: 'functionCalling' }).invoke('Another animal');
    assert.deepEqual(called, { animal: 'Another animal', legs: 0 });
    [sent] = requestsSince(stack.upstream, from);
    assert.deepEqual(sent.tool_choice, { type: 'function', function: { name: 'animal' } });
  });

  it('a wrong key: AuthenticationError, status 401, Iris message and code', async () => {
    const err = await rejection(() => chat('gpt-4o-mini', 'sk-not-a-real-key-42').invoke('hi'));
    assert.equal(err.constructor.name, 'AuthenticationError');
    assert.equal(err.status, 401);
    assert.equal(err.code, 'invalid_api_key');
    assert.equal(err.lc_error_code, 'MODEL_AUTHENTICATION');
    assert.equal(err.error?.message, 'Incorrect API key provided: sk-n****y-42.');
    assert.ok(err.message.startsWith('401 Incorrect API key provided: sk-n****y-42.'), err.message);
  });

  it('an unknown model: NotFoundError, status 404, model_not_found, also from stream()', async () => {
    const err = await rejection(() => chat('imaginary-model').invoke('hi'));
    assert.equal(err.constructor.name, 'NotFoundError');
    assert.equal(err.status, 404);
    assert.equal(err.code, 'model_not_found');
    assert.equal(err.lc_error_code, 'MODEL_NOT_FOUND');
    assert.ok(err.message.startsWith('404 The model `imaginary-model` does not exist or you do not have access to it.'), err.message);

    const streamed = await rejection(async () => {
      for await (const _chunk of await chat('imaginary-model').stream('hi'));
    });
    assert.equal(streamed.status, 404);
    assert.equal(streamed.code, 'model_not_found');
  });

  it('bytes that are not an image: BadRequestError, status 400, invalid_image with the param of the part', async () => {
    const url = `data:image/png;base64,${NOT_AN_IMAGE.toString('base64')}`;
    const err = await rejection(() =>
      chat().invoke([new HumanMessage({ content: [{ type: 'text', text: 'x' }, { type: 'image_url', image_url: { url } }] })]),
    );
    assert.equal(err.constructor.name, 'BadRequestError');
    assert.equal(err.status, 400);
    assert.equal(err.code, 'invalid_image');
    assert.equal(err.param, 'messages[0].content[1].image_url.url');
    assert.match(err.message, /^400 The data is not an image/);
  });

  it('useResponsesApi (also chosen by ChatOpenAI itself for built-in tools and some model names): a 404 that says why', async () => {
    const responses = new ChatOpenAI({ model: 'gpt-4o-mini', apiKey: stack.iris.apiKey, configuration: { baseURL: stack.iris.baseURL }, maxRetries: 0, useResponsesApi: true });
    const err = await rejection(() => responses.invoke('hi'));
    assert.equal(err.status, 404);
    assert.equal(err.code, 'unknown_url');
    assert.match(String(err.error?.message), /^Unknown request URL: POST \/v1\/responses\. .*Chat Completions API \(POST \/v1\/chat\/completions\)/);
    // ChatOpenAICompletions always speaks Chat Completions, whatever the model is called.
    const completions = new ChatOpenAICompletions({ model: 'gpt-4o-mini', apiKey: stack.iris.apiKey, configuration: { baseURL: stack.iris.baseURL }, maxRetries: 0 });
    assert.equal((await completions.invoke('hi')).content, 'I see 0 images. You said: hi');
  });

  it('an upstream failing mid-stream: the error event becomes a thrown APIError carrying Iris message', async () => {
    stack.upstream.script({ kind: 'die-mid-stream', afterChunks: 3 });
    let text = '';
    const err = await rejection(async () => {
      for await (const chunk of await chat().stream('A long answer')) text += String(chunk.content);
    });
    assert.equal(text, 'I see');
    assert.match(err.message, /The connection to the upstream provider 'fake' failed/);
    assert.equal(err.error?.type, 'upstream_error');
  });
});

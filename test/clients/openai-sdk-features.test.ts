// The official openai SDK's own features, end to end against Iris on loopback: the helpers that
// parse structured outputs and tool arguments (parse(), stream(), runTools()), the stream helper's
// events and round trips, the raw response (withResponse / asResponse), the error classes and
// what they carry, automatic retries (how many attempts reach Iris and the upstream), timeouts,
// cancellation, model listing, and the request fields that only some models honour (logprobs,
// audio, web search, service tiers, stored completions), both through an OpenAI-compatible
// upstream and on the embedded engine.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer as createTcpServer, connect, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { zodFunction, zodResponseFormat } from 'openai/helpers/zod';
import { APIError, ContentFilterFinishReasonError, LengthFinishReasonError } from 'openai/core/error';
import { ChatCompletionStream } from 'openai/lib/ChatCompletionStream';
import type { RunnableToolFunctionWithParse } from 'openai/lib/RunnableFunction';
import { z } from 'zod';
import { contentReply } from './client-helpers.ts';
import { chatRequests, startStack, type Stack } from '../e2e/e2e-setup.ts';
import type { ChatCompletionRequest } from '../../src/openai/types.ts';
import { fakePromptTokens, type Behaviour } from '../support/fake-openai-upstream.ts';
import { assertChatCompletion, assertChatCompletionChunk, assertErrorResponse } from '../support/openai-schemas.ts';
import { startIris, type RunningIris } from '../support/start-iris.ts';

type Params = OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;
const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [{ role: 'user', content: 'hi there' }];

const HEAD = { id: 'chatcmpl-sdkfeatures000000000000000', object: 'chat.completion.chunk', created: 1_721_172_741, model: 'gpt-4o-mini' };
/** One SSE data payload: a chunk with these choices. */
const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => JSON.stringify({ ...HEAD, ...extra, choices });
/** A scripted non-streamed answer with this message and finish reason. */
function completionBody(message: Record<string, unknown>, finish = 'stop', extra: Record<string, unknown> = {}) {
  return {
    id: 'chatcmpl-sdkfeatures000000000000000',
    object: 'chat.completion',
    created: 1_721_172_741,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: null, ...message }, logprobs: null, finish_reason: finish }],
    usage: { prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 },
    ...extra,
  };
}
const tokenLogprob = (token: string, logprob = -0.25) => ({
  token,
  logprob,
  bytes: [...Buffer.from(token)],
  top_logprobs: [{ token, logprob, bytes: [...Buffer.from(token)] }],
});

/** An SDK client on Iris whose every HTTP attempt is counted (the SDK retries through its fetch). */
function countingClient(iris: RunningIris, options: Partial<ConstructorParameters<typeof OpenAI>[0]> = {}) {
  const attempts: { status: number | 'failed' }[] = [];
  const client = new OpenAI({
    baseURL: iris.baseURL,
    apiKey: iris.apiKey,
    ...options,
    fetch: async (url, init) => {
      try {
        const res = await fetch(url, init);
        attempts.push({ status: res.status });
        return res;
      } catch (err) {
        attempts.push({ status: 'failed' });
        throw err;
      }
    },
  });
  return { client, attempts };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('expected the call to fail');
}

describe('openai SDK helpers and client behaviour against Iris (OpenAI-compatible upstream)', () => {
  let stack: Stack;
  let client: OpenAI;
  before(async () => {
    stack = await startStack({ provider: { timeout_ms: 1500 }, config: { limits: { max_body_bytes: 300_000 } } });
    client = stack.iris.client;
  });
  after(() => stack?.close());

  // ------------------------------------------------------------------------------------------
  // Structured outputs: parse()

  it('parse() with zodResponseFormat: a strict json_schema reaches the upstream, message.parsed is the typed object', async () => {
    stack.upstream.reset();
    const Thing = z.object({ name: z.string(), count: z.number().int(), colour: z.enum(['red', 'black']).nullable() });
    stack.upstream.script(contentReply('{"name":"dog","count":2,"colour":null}'));
    const completion = await client.chat.completions.parse({ model: 'vision', messages, response_format: zodResponseFormat(Thing, 'thing') });
    assertChatCompletion(JSON.parse(JSON.stringify({ ...completion, choices: completion.choices.map(({ message: { parsed: _p, ...m }, ...c }) => ({ ...c, message: m })) })));
    assert.deepEqual(completion.choices[0]!.message.parsed, { name: 'dog', count: 2, colour: null });
    assert.equal(completion.model, 'vision', 'the name the client used');
    const sent = chatRequests(stack.upstream)[0]!.body as { model: string; response_format: { type: string; json_schema: { name: string; strict: boolean; schema: { required: string[]; additionalProperties: boolean } } } };
    assert.equal(sent.model, 'gpt-4o');
    assert.equal(sent.response_format.type, 'json_schema');
    assert.equal(sent.response_format.json_schema.name, 'thing');
    assert.equal(sent.response_format.json_schema.strict, true);
    assert.deepEqual(sent.response_format.json_schema.schema.required, ['name', 'count', 'colour']);
    assert.equal(sent.response_format.json_schema.schema.additionalProperties, false);
  });

  it('parse() with zodFunction: a strict tool upstream, tool_calls[].function.parsed_arguments parsed by the SDK', async () => {
    stack.upstream.reset();
    const countTool = zodFunction({ name: 'count_objects', parameters: z.object({ label: z.string(), n: z.number() }), description: 'Count things' });
    const completion = await client.chat.completions.parse({ model: 'gpt-4o-mini', messages, tools: [countTool], tool_choice: { type: 'function', function: { name: 'count_objects' } } });
    const call = completion.choices[0]!.message.tool_calls![0]!;
    assert.equal(completion.choices[0]!.finish_reason, 'tool_calls');
    assert.equal(call.type, 'function');
    assert.match(call.id, /^call_/);
    assert.deepEqual(call.function.parsed_arguments, { label: 'hi there', n: 0 });
    const sent = chatRequests(stack.upstream)[0]!.body as { tools: { function: { strict: boolean; name: string; description: string } }[] };
    assert.equal(sent.tools[0]!.function.strict, true);
    assert.equal(sent.tools[0]!.function.description, 'Count things');
  });

  it('parse(): a refusal leaves parsed null; finish_reason length and content_filter raise the SDK\'s own errors', async () => {
    const format = zodResponseFormat(z.object({ a: z.string() }), 'a');
    stack.upstream.script({ kind: 'json', body: completionBody({ refusal: "I'm sorry, I can't help with that." }) });
    const refused = await client.chat.completions.parse({ model: 'gpt-4o-mini', messages, response_format: format });
    assert.equal(refused.choices[0]!.message.parsed, null);
    assert.equal(refused.choices[0]!.message.refusal, "I'm sorry, I can't help with that.");

    stack.upstream.script({ kind: 'json', body: completionBody({ content: '{"a":' }, 'length') });
    await assert.rejects(client.chat.completions.parse({ model: 'gpt-4o-mini', messages, response_format: format }), LengthFinishReasonError);
    stack.upstream.script({ kind: 'json', body: completionBody({ content: '{"a":' }, 'content_filter') });
    await assert.rejects(client.chat.completions.parse({ model: 'gpt-4o-mini', messages, response_format: format }), ContentFilterFinishReasonError);
  });

  it('a response_format or tool name OpenAI refuses is a BadRequestError with the exact param and code', async () => {
    const badName = await rejection(client.chat.completions.parse({ model: 'gpt-4o-mini', messages, response_format: zodResponseFormat(z.object({ a: z.string() }), 'my schema') }));
    assert.ok(badName instanceof OpenAI.BadRequestError);
    assert.equal(badName.param, 'response_format.json_schema.name');
    assert.equal(badName.code, 'invalid_value');
    assert.equal(badName.type, 'invalid_request_error');
    const longTool = await rejection(client.chat.completions.parse({ model: 'gpt-4o-mini', messages, tools: [zodFunction({ name: 'x'.repeat(65), parameters: z.object({ a: z.string() }) })] }));
    assert.ok(longTool instanceof OpenAI.BadRequestError);
    assert.equal(longTool.param, 'tools[0].function.name');
    assert.equal(longTool.code, 'string_above_max_length');
  });

  // ------------------------------------------------------------------------------------------
  // The stream helper: chat.completions.stream()

  it('stream() with a zod response_format: content.delta carries the partial parse, content.done and the final message the whole', async () => {
    stack.upstream.script({
      kind: 'sse',
      events: [
        chunk([{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }]),
        chunk([{ index: 0, delta: { content: '{"name":' }, logprobs: null, finish_reason: null }]),
        chunk([{ index: 0, delta: { content: '"cat","cou' }, logprobs: null, finish_reason: null }]),
        chunk([{ index: 0, delta: { content: 'nt":3}' }, logprobs: null, finish_reason: null }]),
        chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]),
        '[DONE]',
      ],
    });
    const stream = client.chat.completions.stream({ model: 'gpt-4o-mini', messages, response_format: zodResponseFormat(z.object({ name: z.string(), count: z.number() }), 'thing') });
    const partials: unknown[] = [];
    const done: unknown[] = [];
    let chunks = 0;
    stream.on('chunk', (c) => {
      assertChatCompletionChunk(c);
      chunks++;
    });
    stream.on('content.delta', ({ parsed }) => partials.push(parsed));
    stream.on('content.done', ({ parsed, content }) => done.push({ parsed, content }));
    const final = await stream.finalChatCompletion();
    assert.equal(chunks, 5);
    assert.deepEqual(partials, [{}, { name: 'cat' }, { name: 'cat', count: 3 }]);
    assert.deepEqual(done, [{ parsed: { name: 'cat', count: 3 }, content: '{"name":"cat","count":3}' }]);
    assert.deepEqual(final.choices[0]!.message.parsed, { name: 'cat', count: 3 });
    assert.equal(await stream.finalContent(), '{"name":"cat","count":3}');
  });

  it('stream(): refusal.delta and refusal.done with a response_format; the final message has the refusal and no parse', async () => {
    stack.upstream.script({
      kind: 'sse',
      events: [
        chunk([{ index: 0, delta: { role: 'assistant', content: null, refusal: '' }, logprobs: null, finish_reason: null }]),
        chunk([{ index: 0, delta: { refusal: "I'm sorry, " }, logprobs: null, finish_reason: null }]),
        chunk([{ index: 0, delta: { refusal: 'I cannot.' }, logprobs: null, finish_reason: null }]),
        chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]),
        '[DONE]',
      ],
    });
    const stream = client.chat.completions.stream({ model: 'gpt-4o-mini', messages, response_format: zodResponseFormat(z.object({ a: z.string() }), 'a') });
    const deltas: string[] = [];
    let done = '';
    stream.on('refusal.delta', ({ delta }) => deltas.push(delta));
    stream.on('refusal.done', ({ refusal }) => (done = refusal));
    const final = await stream.finalChatCompletion();
    assert.deepEqual(deltas, ["I'm sorry, ", 'I cannot.']);
    assert.equal(done, "I'm sorry, I cannot.");
    assert.equal(final.choices[0]!.message.refusal, "I'm sorry, I cannot.");
    assert.equal(final.choices[0]!.message.parsed, null);
  });

  it('stream() with a zodFunction: tool_calls.function.arguments.delta per fragment, .done with parsed_arguments', async () => {
    const tool = zodFunction({ name: 'count_objects', parameters: z.object({ label: z.string(), n: z.number() }) });
    const stream = client.chat.completions.stream({ model: 'gpt-4o-mini', messages, tools: [tool], tool_choice: 'required' });
    const fragments: string[] = [];
    const done: { name: string; parsed: unknown }[] = [];
    stream.on('tool_calls.function.arguments.delta', ({ arguments_delta, index }) => {
      assert.equal(index, 0);
      fragments.push(arguments_delta);
    });
    stream.on('tool_calls.function.arguments.done', ({ name, parsed_arguments }) => done.push({ name, parsed: parsed_arguments }));
    const final = await stream.finalChatCompletion();
    assert.ok(fragments.length > 2, 'the arguments came in pieces');
    assert.equal(fragments.join(''), '{"label":"hi there","n":0}');
    assert.deepEqual(done, [{ name: 'count_objects', parsed: { label: 'hi there', n: 0 } }]);
    const call = final.choices[0]!.message.tool_calls![0]!;
    assert.deepEqual(call.function.parsed_arguments, { label: 'hi there', n: 0 });
    assert.equal(final.choices[0]!.finish_reason, 'tool_calls');
  });

  it('stream() with logprobs: logprobs.content.delta per chunk, logprobs.content.done and the final choice with every token', async () => {
    stack.upstream.reset();
    stack.upstream.script({
      kind: 'sse',
      events: [
        chunk([{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: { content: [], refusal: null }, finish_reason: null }]),
        chunk([{ index: 0, delta: { content: 'Hel' }, logprobs: { content: [tokenLogprob('Hel')], refusal: null }, finish_reason: null }]),
        chunk([{ index: 0, delta: { content: 'lo' }, logprobs: { content: [tokenLogprob('lo', -1.5)], refusal: null }, finish_reason: null }]),
        chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]),
        '[DONE]',
      ],
    });
    const stream = client.chat.completions.stream({ model: 'gpt-4o-mini', messages, logprobs: true, top_logprobs: 1 });
    const deltas: string[][] = [];
    let done: string[] = [];
    stream.on('logprobs.content.delta', ({ content }) => deltas.push(content.map((t) => t.token)));
    stream.on('logprobs.content.done', ({ content }) => (done = content.map((t) => t.token)));
    const final = await stream.finalChatCompletion();
    assert.deepEqual(deltas, [[], ['Hel'], ['lo']]);
    assert.deepEqual(done, ['Hel', 'lo']);
    assert.deepEqual(final.choices[0]!.logprobs?.content?.map((t) => [t.token, t.logprob]), [['Hel', -0.25], ['lo', -1.5]]);
    const sent = chatRequests(stack.upstream)[0]!.body as Params;
    assert.equal(sent.logprobs, true);
    assert.equal(sent.top_logprobs, 1);
  });

  it('non-streamed logprobs come back in the SDK types', async () => {
    stack.upstream.script({ kind: 'json', body: { ...completionBody({ content: 'Hello' }), choices: [{ index: 0, message: { role: 'assistant', content: 'Hello', refusal: null }, logprobs: { content: [tokenLogprob('Hello')], refusal: null }, finish_reason: 'stop' }] } });
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, logprobs: true, top_logprobs: 1 });
    assertChatCompletion(completion);
    assert.equal(completion.choices[0]!.logprobs?.content?.[0]?.token, 'Hello');
    assert.equal(completion.choices[0]!.logprobs?.content?.[0]?.top_logprobs[0]?.logprob, -0.25);
  });

  it('stream() with n = 2 and include_usage: a content.done per choice, each choice whole, the usage in the final completion', async () => {
    const stream = client.chat.completions.stream({ model: 'gpt-4o-mini', messages, n: 2, stream_options: { include_usage: true } });
    const done: string[] = [];
    stream.on('content.done', ({ content }) => done.push(content));
    const final = await stream.finalChatCompletion();
    assert.deepEqual(final.choices.map((c) => c.message.content), ['I see 0 images. You said: hi there', 'Choice 1: I see 0 images. You said: hi there']);
    assert.deepEqual(final.choices.map((c) => c.finish_reason), ['stop', 'stop']);
    assert.deepEqual([...done].sort(), ['Choice 1: I see 0 images. You said: hi there', 'I see 0 images. You said: hi there']);
    assert.ok(final.usage && final.usage.total_tokens === final.usage.prompt_tokens + final.usage.completion_tokens && final.usage.completion_tokens > 0, JSON.stringify(final.usage));
  });

  it('raw stream tee(), toReadableStream() and ChatCompletionStream.fromReadableStream() round trip Iris\'s chunks', async () => {
    const raw = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } });
    const [left, right] = raw.tee();
    const readable = right.toReadableStream();
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const c of left) {
      text += c.choices[0]?.delta.content ?? '';
      if (c.usage) usage = c.usage;
    }
    const rebuilt = ChatCompletionStream.fromReadableStream(readable);
    const deltas: string[] = [];
    rebuilt.on('content.delta', ({ delta }) => deltas.push(delta));
    const final = await rebuilt.finalChatCompletion();
    assert.equal(text, 'I see 0 images. You said: hi there');
    assert.equal(deltas.join(''), text);
    assert.equal(final.choices[0]!.message.content, text);
    assert.ok(usage && usage.total_tokens > 0);
  });

  it('stream.controller.abort() on a raw stream, and abort() on the stream helper, end the upstream request', async () => {
    const slow = await startStack({ upstream: { chunkDelayMs: 60 } });
    try {
      const long = [{ role: 'user' as const, content: 'one two three four five six seven eight nine ten eleven twelve' }];
      const raw = await slow.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages: long, stream: true });
      let received = 0;
      for await (const _ of raw) {
        if (++received === 2) raw.controller.abort();
      }
      assert.equal(received, 2);
      await slow.upstream.until(() => chatRequests(slow.upstream)[0]?.aborted === true, 3000);

      const helper = slow.iris.client.chat.completions.stream({ model: 'gpt-4o-mini', messages: long });
      let deltas = 0;
      helper.on('content.delta', () => {
        if (++deltas === 2) helper.abort();
      });
      await assert.rejects(helper.finalChatCompletion(), OpenAI.APIUserAbortError);
      assert.equal(helper.aborted, true);
      await slow.upstream.until(() => chatRequests(slow.upstream)[1]?.aborted === true, 3000);
    } finally {
      await slow.close();
    }
  });

  // ------------------------------------------------------------------------------------------
  // runTools()

  it('runTools(): the tool is called with the parsed arguments, its result goes back as a tool message, the final content and total usage', async () => {
    stack.upstream.reset();
    stack.upstream.script({
      kind: 'json',
      body: completionBody({ tool_calls: [{ id: 'call_abc123', type: 'function', function: { name: 'count', arguments: '{"label":"dog"}' } }] }, 'tool_calls'),
    });
    const calls: unknown[] = [];
    const countTool: RunnableToolFunctionWithParse<{ label: string }> = {
      type: 'function',
      function: {
        name: 'count',
        description: 'Counts the objects with this label',
        parameters: { type: 'object', properties: { label: { type: 'string' } }, required: ['label'] },
        function: (args) => {
          calls.push(args);
          return { label: args.label, count: 2 };
        },
        parse: (text) => JSON.parse(text) as { label: string },
      },
    };
    const runner = client.chat.completions.runTools({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'How many dogs?' }],
      tools: [countTool],
    });
    const functionResults: string[] = [];
    runner.on('functionToolCallResult', (result) => functionResults.push(result));
    const content = await runner.finalContent();
    assert.deepEqual(calls, [{ label: 'dog' }]);
    assert.deepEqual(functionResults, ['{"label":"dog","count":2}']);
    assert.equal(content, 'I see 0 images. You said: How many dogs?');
    const [first, second] = chatRequests(stack.upstream).map((r) => r.body as Params);
    assert.equal(first!.messages.length, 1);
    assert.deepEqual(second!.messages.slice(1).map((m) => m.role), ['assistant', 'tool']);
    assert.deepEqual(second!.messages[2], { role: 'tool', tool_call_id: 'call_abc123', content: '{"label":"dog","count":2}' });
    const usage = await runner.totalUsage();
    assert.equal(usage.prompt_tokens, 11 + fakePromptTokens(second as ChatCompletionRequest), 'the scripted answer\'s and the fake\'s own, summed');
    assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
  });

  it('runTools() streaming: the call assembled from fragments, the function called, the answer streamed as content events', async () => {
    stack.upstream.reset();
    stack.upstream.script({
      kind: 'sse',
      events: [
        chunk([{ index: 0, delta: { role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_s1', type: 'function', function: { name: 'count', arguments: '' } }] }, finish_reason: null }]),
        chunk([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"label"' } }] }, finish_reason: null }]),
        chunk([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: ':"cat"}' } }] }, finish_reason: null }]),
        chunk([{ index: 0, delta: {}, finish_reason: 'tool_calls' }]),
        '[DONE]',
      ],
    });
    const calls: unknown[] = [];
    const countTool: RunnableToolFunctionWithParse<{ label?: string }> = {
      type: 'function',
      function: { name: 'count', description: 'Counts', parameters: { type: 'object', properties: { label: { type: 'string' } } }, function: (a) => (calls.push(a), 'three'), parse: (text) => JSON.parse(text) as { label?: string } },
    };
    const runner = client.chat.completions.runTools({
      model: 'gpt-4o-mini',
      stream: true,
      messages: [{ role: 'user', content: 'Cats?' }],
      tools: [countTool],
    });
    let streamed = '';
    runner.on('content', (delta) => (streamed += delta));
    assert.equal(await runner.finalContent(), 'I see 0 images. You said: Cats?');
    assert.equal(streamed, 'I see 0 images. You said: Cats?');
    assert.deepEqual(calls, [{ label: 'cat' }]);
    const second = chatRequests(stack.upstream)[1]!.body as Params;
    assert.deepEqual(second.messages.at(-1), { role: 'tool', tool_call_id: 'call_s1', content: 'three' });
  });

  // ------------------------------------------------------------------------------------------
  // The raw response

  it('withResponse(): request_id, _request_id and the x-request-id header agree; JSON content type', async () => {
    const { data, response, request_id } = await client.chat.completions.create({ model: 'gpt-4o-mini', messages }).withResponse();
    const header = response.headers.get('x-request-id');
    assert.match(header ?? '', /^req_/);
    assert.equal(request_id, header);
    assert.equal((data as { _request_id?: string | null })._request_id, header);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(response.status, 200);
    const processing = response.headers.get('openai-processing-ms');
    if (processing !== null) assert.match(processing, /^\d+$/, 'optional, but a number of ms when sent');

    const listed = await client.models.list().withResponse();
    assert.equal(listed.request_id, listed.response.headers.get('x-request-id'));
    const model = await client.models.retrieve('vision').withResponse();
    assert.equal((model.data as { _request_id?: string | null })._request_id, model.response.headers.get('x-request-id'));
  });

  it('asResponse() of a stream: text/event-stream, a request id, data: lines ending in [DONE]; each request its own id', async () => {
    const response = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }).asResponse();
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const id = response.headers.get('x-request-id');
    assert.match(id ?? '', /^req_/);
    const text = await response.text();
    assert.match(text, /^data: \{/);
    assert.match(text, /data: \[DONE\]\n\n$/);
    const { response: second, data: stream } = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }).withResponse();
    for await (const _ of stream);
    assert.notEqual(second.headers.get('x-request-id'), id);
  });

  // ------------------------------------------------------------------------------------------
  // Error classes

  it('each status Iris answers is the SDK error class for it, with the body\'s type, code and param, and the request id', async () => {
    const quick = { 'retry-after-ms': '5' };
    const cases: { name: string; behaviour?: Behaviour; call?: () => Promise<unknown>; status: number; cls: new (...args: never[]) => APIError; type?: string; code?: string | null; param?: string | null }[] = [
      { name: '400 from Iris', call: () => client.chat.completions.create({ model: 'gpt-4o-mini', messages, top_logprobs: 2 }), status: 400, cls: OpenAI.BadRequestError, type: 'invalid_request_error', param: 'top_logprobs' },
      { name: '400 from the upstream', behaviour: { kind: 'error', status: 400, body: { error: { message: 'This model\'s maximum context length is 128000 tokens.', type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } } }, status: 400, cls: OpenAI.BadRequestError, type: 'invalid_request_error', code: 'context_length_exceeded', param: 'messages' },
      { name: '401', call: () => new OpenAI({ baseURL: stack.iris.baseURL, apiKey: 'sk-wrong', maxRetries: 0 }).chat.completions.create({ model: 'gpt-4o-mini', messages }), status: 401, cls: OpenAI.AuthenticationError, type: 'invalid_request_error', code: 'invalid_api_key', param: null },
      { name: '403 from the upstream', behaviour: { kind: 'error', status: 403 }, status: 403, cls: OpenAI.PermissionDeniedError, code: 'unsupported_country_region_territory' },
      { name: '404 unknown model', call: () => client.chat.completions.create({ model: 'gpt-imaginary', messages }), status: 404, cls: OpenAI.NotFoundError, type: 'invalid_request_error', code: 'model_not_found', param: null },
      { name: '409 from the upstream', behaviour: { kind: 'error', status: 409 }, status: 409, cls: OpenAI.ConflictError },
      { name: '413 over limits.max_body_bytes', call: () => client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x'.repeat(400_000) }] }), status: 413, cls: OpenAI.APIError, type: 'invalid_request_error', code: 'request_too_large' },
      { name: '422 from the upstream', behaviour: { kind: 'error', status: 422, body: { error: { message: 'bad schema', type: 'invalid_request_error', param: 'response_format', code: 'invalid_schema' } } }, status: 422, cls: OpenAI.UnprocessableEntityError, code: 'invalid_schema', param: 'response_format' },
      { name: '429 from the upstream', behaviour: { kind: 'error', status: 429, headers: quick }, status: 429, cls: OpenAI.RateLimitError, code: 'rate_limit_exceeded' },
      { name: '500 from the upstream is 502', behaviour: { kind: 'error', status: 500 }, status: 502, cls: OpenAI.InternalServerError, type: 'upstream_error' },
      { name: '503 from the upstream', behaviour: { kind: 'error', status: 503 }, status: 503, cls: OpenAI.InternalServerError },
      { name: 'a hanging upstream is 504', behaviour: { kind: 'hang' }, status: 504, cls: OpenAI.InternalServerError, type: 'timeout_error' },
    ];
    for (const c of cases) {
      if (c.behaviour) stack.upstream.script(c.behaviour);
      const err = await rejection(c.call ? c.call() : client.chat.completions.create({ model: 'gpt-4o-mini', messages }));
      assert.ok(err instanceof c.cls, `${c.name}: ${String(err)}`);
      const apiError = err as APIError;
      assert.equal(apiError.status, c.status, c.name);
      assertErrorResponse({ error: apiError.error });
      if (c.type !== undefined) assert.equal(apiError.type, c.type, c.name);
      if (c.code !== undefined) assert.equal(apiError.code, c.code, c.name);
      if (c.param !== undefined) assert.equal(apiError.param, c.param, c.name);
      assert.match(apiError.requestID ?? '', /^req_/, `${c.name}: the request id`);
      assert.equal(apiError.requestID, apiError.headers?.get('x-request-id'));
      assert.match(apiError.message, new RegExp(`^${c.status} `), 'the SDK prefixes the status');
    }
  });

  it('models: for await over list() pages through every model; retrieve() of an unknown model is NotFoundError model_not_found', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) {
      assert.equal(model.object, 'model');
      ids.push(model.id);
    }
    assert.deepEqual(ids, ['gpt-4o-mini', 'vision']);
    const page = await client.models.list();
    assert.equal(page.hasNextPage(), false);
    assert.deepEqual(page.getPaginatedItems().map((m) => m.id), ids);
    const err = await rejection(client.models.retrieve('gpt-imaginary'));
    assert.ok(err instanceof OpenAI.NotFoundError);
    assert.equal(err.code, 'model_not_found');
    assert.match(err.message, /gpt-imaginary/);
  });

  // ------------------------------------------------------------------------------------------
  // Retries and timeouts

  it('retries: a 500/502/503 or 429 from the upstream, or a reset upstream connection, is tried 3 times at maxRetries 2 (Iris itself does not retry)', async () => {
    const cases: [string, Behaviour][] = [
      ['500', { kind: 'error', status: 500, headers: { 'retry-after-ms': '5' } }],
      ['502', { kind: 'error', status: 502, headers: { 'retry-after-ms': '5' } }],
      ['503', { kind: 'error', status: 503, headers: { 'retry-after-ms': '5' } }],
      ['429', { kind: 'error', status: 429, headers: { 'retry-after-ms': '5' } }],
    ];
    for (const [name, behaviour] of cases) {
      stack.upstream.reset();
      stack.upstream.script([behaviour, behaviour, behaviour]);
      const { client: retrying, attempts } = countingClient(stack.iris, { maxRetries: 2 });
      await assert.rejects(retrying.chat.completions.create({ model: 'gpt-4o-mini', messages }), OpenAI.APIError, name);
      assert.equal(attempts.length, 3, `${name}: attempts at Iris`);
      assert.equal(chatRequests(stack.upstream).length, 3, `${name}: requests at the upstream`);
    }
    // Two failures, then an answer: the third attempt succeeds.
    stack.upstream.reset();
    stack.upstream.script([{ kind: 'die-mid-stream', afterChunks: 0 }, { kind: 'die-mid-stream', afterChunks: 0 }]);
    const { client: retrying, attempts } = countingClient(stack.iris, { maxRetries: 2 });
    const completion = await retrying.chat.completions.create({ model: 'gpt-4o-mini', messages });
    assert.equal(completion.choices[0]!.message.content, 'I see 0 images. You said: hi there');
    assert.deepEqual(attempts.map((a) => a.status), [502, 502, 200]);
    assert.equal(chatRequests(stack.upstream).length, 3);
  });

  it('retries wait as Retry-After says (seconds), and a stream that fails before its first chunk is retried too', async () => {
    stack.upstream.reset();
    stack.upstream.script({ kind: 'error', status: 429, headers: { 'retry-after': '1' } });
    const { client: retrying, attempts } = countingClient(stack.iris, { maxRetries: 1 });
    const started = performance.now();
    await retrying.chat.completions.create({ model: 'gpt-4o-mini', messages });
    assert.ok(performance.now() - started >= 950, 'waited the second Retry-After asked for');
    assert.deepEqual(attempts.map((a) => a.status), [429, 200]);

    stack.upstream.reset();
    stack.upstream.script({ kind: 'error', status: 500, headers: { 'retry-after-ms': '5' } });
    const { client: streaming, attempts: streamAttempts } = countingClient(stack.iris, { maxRetries: 1 });
    const stream = await streaming.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    assert.equal(text, 'I see 0 images. You said: hi there');
    assert.deepEqual(streamAttempts.map((a) => a.status), [502, 200]);
  });

  it('x-should-retry: false from the upstream stops the SDK retrying a 5xx, 429 or 503; x-should-retry: true makes a 400 retried', async () => {
    for (const status of [500, 503, 429]) {
      stack.upstream.reset();
      stack.upstream.script([{ kind: 'error', status, headers: { 'x-should-retry': 'false', 'retry-after-ms': '5' } }, { kind: 'error', status }]);
      const { client: retrying, attempts } = countingClient(stack.iris, { maxRetries: 2 });
      await assert.rejects(retrying.chat.completions.create({ model: 'gpt-4o-mini', messages }), OpenAI.APIError);
      assert.equal(attempts.length, 1, `${status}: not retried`);
      assert.equal(chatRequests(stack.upstream).length, 1);
    }
    stack.upstream.reset();
    stack.upstream.script({ kind: 'error', status: 400, headers: { 'x-should-retry': 'true', 'retry-after-ms': '5' } });
    const { client: retrying, attempts } = countingClient(stack.iris, { maxRetries: 1 });
    await retrying.chat.completions.create({ model: 'gpt-4o-mini', messages });
    assert.deepEqual(attempts.map((a) => a.status), [400, 200]);
  });

  it('a connection to Iris reset before any answer is retried by the SDK; Iris and the upstream see the request once', async () => {
    const iris = new URL(stack.iris.origin);
    let connections = 0;
    const open = new Set<Socket>();
    // A TCP proxy on loopback whose first connection is reset as soon as the request arrives.
    const proxy: TcpServer = createTcpServer((socket) => {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      if (++connections === 1) {
        socket.once('data', () => socket.resetAndDestroy());
        return;
      }
      const upstream = connect(Number(iris.port), '127.0.0.1');
      open.add(upstream);
      upstream.on('close', () => open.delete(upstream));
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      stack.upstream.reset();
      const attempts: string[] = [];
      const proxied = new OpenAI({
        baseURL: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/v1`,
        apiKey: stack.iris.apiKey,
        maxRetries: 2,
        fetch: async (url, init) => fetch(url, init).then((r) => (attempts.push(String(r.status)), r), (e: unknown) => (attempts.push('failed'), Promise.reject(e))),
      });
      const completion = await proxied.chat.completions.create({ model: 'gpt-4o-mini', messages });
      assert.equal(completion.object, 'chat.completion');
      assert.deepEqual(attempts, ['failed', '200']);
      assert.equal(chatRequests(stack.upstream).length, 1);

      const noRetry = new OpenAI({ baseURL: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/v1`, apiKey: stack.iris.apiKey, maxRetries: 0 });
      connections = 0;
      await assert.rejects(noRetry.chat.completions.create({ model: 'gpt-4o-mini', messages }), OpenAI.APIConnectionError);
    } finally {
      for (const socket of open) socket.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('the timeout option: APIConnectionTimeoutError at the timeout, each retry a new upstream request, every one of them aborted', async () => {
    stack.upstream.reset();
    stack.upstream.script([{ kind: 'hang' }, { kind: 'hang' }]);
    const { client: impatient, attempts } = countingClient(stack.iris, { maxRetries: 1, timeout: 250 });
    const started = performance.now();
    await assert.rejects(impatient.chat.completions.create({ model: 'gpt-4o-mini', messages }), OpenAI.APIConnectionTimeoutError);
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 450 && elapsed < 1450, `two attempts of 250 ms plus a backoff, within the provider's 1500 ms: ${elapsed}`);
    assert.deepEqual(attempts.map((a) => a.status), ['failed', 'failed']);
    assert.equal(chatRequests(stack.upstream).length, 2);
    await stack.upstream.until(() => chatRequests(stack.upstream).every((r) => r.aborted), 3000);
    // A per-request timeout overrides the client's.
    stack.upstream.script({ kind: 'hang' });
    const t = performance.now();
    await assert.rejects(client.chat.completions.create({ model: 'gpt-4o-mini', messages }, { timeout: 200, maxRetries: 0 }), OpenAI.APIConnectionTimeoutError);
    assert.ok(performance.now() - t < 1000);
  });

  // ------------------------------------------------------------------------------------------
  // Fields only some models honour, through an OpenAI-compatible upstream

  it('store, metadata, service_tier, prediction, modalities, audio and web_search_options reach the upstream as sent', async () => {
    stack.upstream.reset();
    const extra = {
      store: true,
      metadata: { team: 'vision', run: '42' },
      service_tier: 'flex' as const,
      prediction: { type: 'content' as const, content: 'I see 0 images.' },
      modalities: ['text' as const, 'audio' as const],
      audio: { voice: 'alloy' as const, format: 'wav' as const },
      web_search_options: { search_context_size: 'low' as const, user_location: { type: 'approximate' as const, approximate: { country: 'GB', city: 'London' } } },
      prompt_cache_key: 'cache-1',
      safety_identifier: 'user-hash-1',
      verbosity: 'low' as const,
    };
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, ...extra });
    assert.equal(completion.service_tier, 'default', "the upstream's service_tier comes back");
    const sent = chatRequests(stack.upstream)[0]!.body as Record<string, unknown>;
    for (const [key, value] of Object.entries(extra)) assert.deepEqual(sent[key], value, key);
  });

  it("an upstream's audio answer, url_citation annotations and audio usage come back in the SDK types, streamed or not", async () => {
    const audio = { id: 'audio_abc', data: 'UklGRiQAAABXQVZF', expires_at: 1_721_176_341, transcript: 'Hello' };
    stack.upstream.script({ kind: 'json', body: completionBody({ audio }, 'stop', { usage: { prompt_tokens: 5, completion_tokens: 10, total_tokens: 15, completion_tokens_details: { audio_tokens: 8, reasoning_tokens: 0 } } }) });
    const spoken = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'wav' } });
    assert.deepEqual(spoken.choices[0]!.message.audio, audio);
    assert.equal(spoken.usage?.completion_tokens_details?.audio_tokens, 8);

    stack.upstream.script({
      kind: 'sse',
      events: [
        chunk([{ index: 0, delta: { role: 'assistant', content: null, refusal: null, audio: { id: 'audio_abc', transcript: '' } }, finish_reason: null }]),
        chunk([{ index: 0, delta: { audio: { transcript: 'Hel' } }, finish_reason: null }]),
        chunk([{ index: 0, delta: { audio: { data: 'UklGRiQA' } }, finish_reason: null }]),
        chunk([{ index: 0, delta: { audio: { transcript: 'lo', data: 'AABXQVZF' } }, finish_reason: null }]),
        chunk([{ index: 0, delta: { audio: { expires_at: 1_721_176_341 } }, finish_reason: null }]),
        chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
        '[DONE]',
      ],
    });
    const streamed = await client.chat.completions.stream({ model: 'gpt-4o-mini', messages, modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'pcm16' } }).finalChatCompletion();
    assert.deepEqual(streamed.choices[0]!.message.audio, audio);

    const annotations = [{ type: 'url_citation', url_citation: { start_index: 4, end_index: 11, url: 'https://example.com/', title: 'Example' } }];
    stack.upstream.script({ kind: 'json', body: completionBody({ content: 'See example.', annotations }) });
    const searched = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, web_search_options: {} });
    assert.deepEqual(searched.choices[0]!.message.annotations, annotations);
  });

  it("stored chat completions (retrieve, list, delete) are not served: a NotFoundError naming the URL, as for any path Iris does not serve", async () => {
    for (const call of [() => client.chat.completions.retrieve('chatcmpl-abc'), () => client.chat.completions.list(), () => client.chat.completions.delete('chatcmpl-abc')]) {
      const err = await rejection(call());
      assert.ok(err instanceof OpenAI.NotFoundError, String(err));
      assert.equal(err.code, 'unknown_url');
      assert.match(err.message, /\/v1\/chat\/completions/);
    }
  });

  // An upstream that ignores `stream: true` answers one JSON body, replayed as chunks
  // (completionToChunks): its logprobs and audio go where OpenAI's stream carries them
  // (CreateChatCompletionStreamResponse), for the SDK's ChatCompletionStream to gather again.
  it("a stream whose first delta brings content and logprobs (Ollama's) gives each token's logprobs once", async () => {
    stack.upstream.script({
      kind: 'sse',
      events: [
        chunk([{ index: 0, delta: { role: 'assistant', content: 'Hel' }, logprobs: { content: [tokenLogprob('Hel')] }, finish_reason: null }]),
        chunk([{ index: 0, delta: { role: 'assistant', content: 'lo' }, logprobs: { content: [tokenLogprob('lo')] }, finish_reason: null }]),
        chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: 'stop' }]),
        '[DONE]',
      ],
    });
    const final = await client.chat.completions.stream({ model: 'gpt-4o-mini', messages, logprobs: true }).finalChatCompletion();
    assert.equal(final.choices[0]!.message.content, 'Hello');
    assert.deepEqual(final.choices[0]!.logprobs?.content?.map((t) => t.token), ['Hel', 'lo']);
  });

  it('a JSON answer replayed as a stream keeps its logprobs and audio', async () => {
    const audio = { id: 'audio_abc', data: 'UklGRg==', expires_at: 1_721_176_341, transcript: 'Hello' };
    stack.upstream.script({
      kind: 'json',
      body: {
        ...completionBody({ content: 'Hello', audio }),
        choices: [{ index: 0, message: { role: 'assistant', content: 'Hello', refusal: null, audio }, logprobs: { content: [tokenLogprob('Hello')], refusal: null }, finish_reason: 'stop' }],
      },
    });
    const final = await client.chat.completions.stream({ model: 'gpt-4o-mini', messages, logprobs: true, modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'pcm16' } }).finalChatCompletion();
    assert.equal(final.choices[0]!.message.content, 'Hello');
    assert.deepEqual(final.choices[0]!.logprobs?.content?.map((t) => t.token), ['Hello'], 'logprobs kept');
    assert.deepEqual(final.choices[0]!.message.audio, audio, 'audio kept');
  });

  // In a browser (dangerouslyAllowBrowser) the SDK decides whether and when to retry from
  // x-should-retry and retry-after-ms (src/client.ts, shouldRetry() and retryRequest()): CORS
  // must expose them, or it retries a quota error Iris said not to retry.
  it('a cross-origin page can read the retry headers the SDK obeys (x-should-retry, retry-after-ms)', async () => {
    stack.upstream.script({
      kind: 'error',
      status: 429,
      body: { error: { message: 'You exceeded your current quota.', type: 'insufficient_quota', param: null, code: 'insufficient_quota' } },
      headers: { 'retry-after-ms': '1500' },
    });
    const res = await fetch(`${stack.iris.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { origin: 'https://app.example.com', authorization: `Bearer ${stack.iris.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages }),
    });
    await res.text();
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('x-should-retry'), 'false');
    assert.equal(res.headers.get('retry-after-ms'), '1500');
    const exposed = (res.headers.get('access-control-expose-headers') ?? '').toLowerCase().split(/,\s*/);
    assert.ok(exposed.includes('x-should-retry'), `exposed: ${exposed.join(', ')}`);
    assert.ok(exposed.includes('retry-after-ms'), `exposed: ${exposed.join(', ')}`);
  });
});

// ---------------------------------------------------------------------------------------------
// The embedded engine

const TESTDATA = new URL('../../../shared/testdata/', import.meta.url);
const present = existsSync(new URL('images/dog.jpg', TESTDATA));

describe('openai SDK features on the embedded engine', { skip: !present && 'no ../shared/testdata' }, () => {
  let iris: RunningIris;
  let dog: OpenAI.Chat.Completions.ChatCompletionMessageParam[];
  before(async () => {
    iris = await startIris({ engine: { enabled: true, threads: 1 } });
    const url = `data:image/jpeg;base64,${readFileSync(new URL('images/dog.jpg', TESTDATA)).toString('base64')}`;
    dog = [{ role: 'user', content: [{ type: 'text', text: 'Is there a dog?' }, { type: 'image_url', image_url: { url } }] }];
  });
  after(() => iris?.close());

  it('stream() with a zod response_format: partial parses while streaming, the whole object at the end', async () => {
    const Findings = z.object({ answer: z.string(), images: z.array(z.object({ objects: z.array(z.object({ label: z.string(), count: z.number().int() })) })) });
    const stream = iris.client.chat.completions.stream({ model: 'Image-Recognition', messages: dog, response_format: zodResponseFormat(Findings, 'findings') });
    let partials = 0;
    stream.on('content.delta', ({ parsed }) => {
      if (parsed !== null && typeof parsed === 'object') partials++;
    });
    const final = await stream.finalChatCompletion();
    const parsed = final.choices[0]!.message.parsed!;
    assert.equal(parsed.answer, 'Yes, I can see a dog.');
    assert.ok(parsed.images[0]!.objects.some((o) => o.label === 'dog'));
    assert.ok(partials > 1, 'the JSON came in pieces the SDK parsed as they came');
  });

  it('parse() with a max_tokens too small for the JSON raises LengthFinishReasonError', async () => {
    await assert.rejects(
      iris.client.chat.completions.parse({ model: 'Image-Recognition', messages: dog, max_completion_tokens: 5, response_format: zodResponseFormat(z.object({ answer: z.string() }), 'a') }),
      LengthFinishReasonError,
    );
  });

  it('retries: the SDK does not retry a 400 the engine refuses (a forced tool call)', async () => {
    const { client, attempts } = countingClient(iris, { maxRetries: 2 });
    const tools = [zodFunction({ name: 'count', parameters: z.object({ n: z.number() }) })];
    const err = await rejection(client.chat.completions.parse({ model: 'Image-Recognition', messages: dog, tools, tool_choice: 'required' }));
    assert.ok(err instanceof OpenAI.BadRequestError);
    assert.equal(err.param, 'tool_choice');
    assert.equal(attempts.length, 1);
  });

  // The engine has no log probabilities: it refuses `logprobs: true` (400, param logprobs), as
  // OpenAI refuses what a model cannot give, rather than answer `logprobs: null`.
  it('logprobs: the engine gives log probabilities or refuses the parameter (400, param logprobs), not null', async () => {
    for (const stream of [false, true]) {
      try {
        const final = stream
          ? await iris.client.chat.completions.stream({ model: 'Image-Recognition', messages: dog, logprobs: true, top_logprobs: 1 }).finalChatCompletion()
          : await iris.client.chat.completions.create({ model: 'Image-Recognition', messages: dog, logprobs: true, top_logprobs: 1 });
        const choice = final.choices[0]!;
        assert.ok(Array.isArray(choice.logprobs?.content), `stream ${stream}: choices[0].logprobs is ${JSON.stringify(choice.logprobs)}`);
        assert.equal(choice.logprobs!.content!.map((t) => t.token).join(''), choice.message.content);
      } catch (err) {
        if (err instanceof assert.AssertionError) throw err;
        assert.ok(err instanceof OpenAI.BadRequestError, String(err));
        assert.equal(err.param, 'logprobs');
      }
    }
  });

  // Nor does it speak: `modalities: ['text', 'audio']` is refused (400 naming it), rather than
  // answered in text alone for a client that reads `message.audio.data`.
  it('modalities audio: the engine answers with audio or refuses with a 400, not text alone', async () => {
    try {
      const completion = await iris.client.chat.completions.create({ model: 'Image-Recognition', messages: dog, modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'wav' } });
      assert.ok(completion.choices[0]!.message.audio, `message: ${JSON.stringify(completion.choices[0]!.message)}`);
    } catch (err) {
      if (err instanceof assert.AssertionError) throw err;
      assert.ok(err instanceof OpenAI.BadRequestError, String(err));
      assert.match(String(err.param), /^(modalities|audio)/);
    }
  });

  // "When the `service_tier` parameter is set, the response body will include the `service_tier`
  // value based on the processing mode actually used" (ServiceTier, openai-openapi.yaml).
  it('service_tier: a request that sets it gets the tier used in the response, streamed or not', async () => {
    const completion = await iris.client.chat.completions.create({ model: 'Image-Recognition', messages: dog, service_tier: 'auto' });
    assert.equal(typeof completion.service_tier, 'string', `service_tier: ${String(completion.service_tier)}`);
    const final = await iris.client.chat.completions.stream({ model: 'Image-Recognition', messages: dog, service_tier: 'auto' }).finalChatCompletion();
    assert.equal(typeof final.service_tier, 'string', `streamed service_tier: ${String(final.service_tier)}`);
  });
});

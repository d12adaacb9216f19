// POST /v1/chat/completions with stream: true — SSE through the SDK's iterator, the SDK's
// stricter stream() helper, and raw bytes.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { fakePromptTokens, fakeReply } from '../support/fake-openai-upstream.ts';
import { chatRequestHead, openRawSocket } from '../support/raw-socket.ts';
import { assertChatCompletion, assertChatCompletionChunk, assertErrorResponse } from '../support/openai-schemas.ts';
import { chatRequests, startStack, type Stack } from './e2e-setup.ts';

type Chunk = OpenAI.Chat.Completions.ChatCompletionChunk;

/** Parses an SSE body into its data payloads (raw strings). */
function dataEvents(text: string): string[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split('\n').filter((l) => l.startsWith('data: '));
      assert.equal(lines.length, 1, `one data line per event: ${JSON.stringify(block)}`);
      return lines[0].slice('data: '.length);
    });
}

describe('streamed chat completions', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  const messages = [{ role: 'user' as const, content: 'stream me' }];

  it('streams role first, content deltas, a finish chunk and no usage chunk without include_usage', async () => {
    const stream = await stack.iris.client.chat.completions.create({ model: 'vision', messages, stream: true });
    const chunks: Chunk[] = [];
    for await (const chunk of stream) {
      assertChatCompletionChunk(chunk);
      chunks.push(chunk);
    }
    assert.ok(chunks.length >= 3);
    assert.equal(chunks[0].choices[0].delta.role, 'assistant');
    assert.equal(new Set(chunks.map((c) => c.id)).size, 1, 'every chunk has the same id');
    for (const chunk of chunks) {
      assert.equal(chunk.model, 'vision');
      assert.equal(chunk.object, 'chat.completion.chunk');
      assert.equal(chunk.choices.length, 1, 'no usage-only chunk');
      assert.equal('usage' in chunk, false, 'no usage field when include_usage was not asked for');
    }
    const text = chunks.map((c) => c.choices[0].delta.content ?? '').join('');
    assert.equal(text, fakeReply({ model: 'gpt-4o', messages }).content);
    const last = chunks.at(-1)!;
    assert.equal(last.choices[0].finish_reason, 'stop');
    assert.equal(chunks.filter((c) => c.choices[0].finish_reason !== null).length, 1);
  });

  it('adds a usage chunk with empty choices after the finish chunk when include_usage is true', async () => {
    stack.upstream.reset();
    const stream = await stack.iris.client.chat.completions.create({
      model: 'vision',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: Chunk[] = [];
    for await (const chunk of stream) {
      assertChatCompletionChunk(chunk);
      chunks.push(chunk);
    }
    const usageChunk = chunks.at(-1)!;
    assert.deepEqual(usageChunk.choices, []);
    const prompt = fakePromptTokens({ model: 'gpt-4o', messages });
    const completion = fakeReply({ model: 'gpt-4o', messages }).completionTokens;
    assert.equal(usageChunk.usage?.prompt_tokens, prompt);
    assert.equal(usageChunk.usage?.completion_tokens, completion);
    assert.equal(usageChunk.usage?.total_tokens, prompt + completion);
    assert.equal(usageChunk.usage?.prompt_tokens_details?.cached_tokens, 0);
    assert.equal(usageChunk.usage?.completion_tokens_details?.reasoning_tokens, 0);
    for (const chunk of chunks.slice(0, -1)) {
      assert.equal(chunk.usage, null, 'other chunks carry usage: null');
      assert.equal(chunk.choices.length, 1);
    }
    assert.equal(chunks.at(-2)!.choices[0].finish_reason, 'stop');
    // The upstream always gets asked for usage, with its own model id.
    const sent = chatRequests(stack.upstream)[0].body as Record<string, unknown>;
    assert.deepEqual(sent.stream_options, { include_usage: true });
    assert.equal(sent.model, 'gpt-4o');
  });

  it('sends no usage chunk when include_usage is false', async () => {
    const stream = await stack.iris.client.chat.completions.create({ model: 'vision', messages, stream: true, stream_options: { include_usage: false } });
    const chunks: Chunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.ok(chunks.every((c) => c.choices.length === 1 && !('usage' in c)));
    assert.equal(chunks.at(-1)!.choices[0].finish_reason, 'stop');
  });

  it('asks the upstream for usage even when the client did not', async () => {
    stack.upstream.reset();
    const stream = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    for await (const _ of stream);
    const sent = chatRequests(stack.upstream)[0].body as Record<string, unknown>;
    assert.deepEqual(sent.stream_options, { include_usage: true });
  });

  it('works with the SDK stream() helper and its final completion', async () => {
    const runner = stack.iris.client.chat.completions.stream({
      model: 'vision',
      messages,
      stream_options: { include_usage: true },
    });
    const deltas: string[] = [];
    runner.on('content.delta', ({ delta }) => deltas.push(delta));
    runner.on('chunk', (chunk) => assertChatCompletionChunk(chunk));
    const final = await runner.finalChatCompletion();
    const expected = fakeReply({ model: 'gpt-4o', messages }).content;
    assert.equal(deltas.join(''), expected);
    assert.equal(final.choices[0].message.content, expected);
    assert.equal(final.model, 'vision');
    assert.equal(final.choices[0].finish_reason, 'stop');
    assert.equal(final.usage?.total_tokens, fakePromptTokens({ model: 'gpt-4o', messages }) + fakeReply({ model: 'gpt-4o', messages }).completionTokens);
  });

  it('streams tool-call deltas by index that the SDK helper assembles', async () => {
    const tools = [
      { type: 'function' as const, function: { name: 'describe', parameters: { type: 'object', properties: { what: { type: 'string' } }, required: ['what'] } } },
      { type: 'function' as const, function: { name: 'count', parameters: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] } } },
    ];
    const runner = stack.iris.client.chat.completions.stream({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'a cat' }],
      tools,
      tool_choice: 'required',
    });
    const indexes = new Set<number>();
    runner.on('chunk', (chunk) => {
      assertChatCompletionChunk(chunk);
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) indexes.add(call.index);
    });
    const final = await runner.finalChatCompletion();
    assert.deepEqual([...indexes].sort(), [0, 1]);
    const calls = final.choices[0].message.tool_calls ?? [];
    assert.deepEqual(
      calls.map((c) => (c.type === 'function' ? [c.function.name, JSON.parse(c.function.arguments)] : null)),
      [
        ['describe', { what: 'a cat' }],
        ['count', { n: 0 }],
      ],
    );
    assert.ok(calls.every((c) => /^call_/.test(c.id)));
    assert.equal(final.choices[0].finish_reason, 'tool_calls');
  });

  it('sends text/event-stream bytes ending in data: [DONE]', async () => {
    const res = await fetch(`${stack.iris.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.iris.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } }),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    assert.match(res.headers.get('x-request-id') ?? '', /^req_/);
    const text = await res.text();
    assert.ok(text.endsWith('data: [DONE]\n\n'), `ends with [DONE]: ${JSON.stringify(text.slice(-40))}`);
    const events = dataEvents(text);
    assert.equal(events.at(-1), '[DONE]');
    assert.equal(events.filter((e) => e === '[DONE]').length, 1);
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as Chunk);
    for (const chunk of chunks) assertChatCompletionChunk(chunk);
    assert.deepEqual(chunks.at(-1)!.choices, []);
    assert.ok(chunks.at(-1)!.usage);
  });

  it("keeps the connection for the next request, or closes it after the stream when the client says 'Connection: close'", async () => {
    const body = JSON.stringify({ model: 'gpt-4o-mini', messages, stream: true });
    for (const [extra, expected] of [['', 'keep-alive'], ['Connection: close\r\n', 'close']]) {
      const raw = openRawSocket(stack.iris.origin);
      raw.socket.write(chatRequestHead(raw.hostname, stack.iris.apiKey, Buffer.byteLength(body), extra) + body);
      const closed = await raw.closedWithin(1_000);
      raw.socket.destroy();
      const wire = raw.received();
      assert.ok(wire.endsWith('data: [DONE]\n\n\r\n0\r\n\r\n'), JSON.stringify(wire.slice(-60)));
      assert.equal(/^connection: (.*)\r$/im.exec(wire)?.[1].toLowerCase(), expected, 'the Connection header says what happens');
      assert.equal(closed, expected === 'close', expected === 'close' ? 'Iris closed the connection after the stream' : 'the connection stays open');
    }
  });

  it('streams n > 1 choices, each with its own index, role, text and finish', async () => {
    const stream = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true, n: 2 });
    const text = ['', ''];
    const finishes: (string | null)[] = [null, null];
    const roles = [0, 0];
    for await (const chunk of stream) {
      assertChatCompletionChunk(chunk);
      for (const choice of chunk.choices) {
        text[choice.index] += choice.delta.content ?? '';
        if (choice.delta.role) roles[choice.index]++;
        if (choice.finish_reason) finishes[choice.index] = choice.finish_reason;
      }
    }
    assert.deepEqual(text, [0, 1].map((i) => fakeReply({ model: 'gpt-4o-mini', messages }, i).content));
    assert.deepEqual(finishes, ['stop', 'stop']);
    assert.deepEqual(roles, [1, 1]);
  });

  it('ends with an error event when the upstream dies mid-stream: the SDK throws, nothing hangs', async () => {
    stack.upstream.script({ kind: 'die-mid-stream', afterChunks: 3 });
    const logsBefore = stack.iris.logs.length;
    const stream = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    const seen: Chunk[] = [];
    await assert.rejects(
      (async () => {
        for await (const chunk of stream) seen.push(chunk);
      })(),
      (err: unknown) => {
        assert.ok(err instanceof OpenAI.APIError, `an APIError, got ${String(err)}`);
        assert.match(err.message, /upstream/i);
        return true;
      },
    );
    assert.equal(seen.length, 3, 'the chunks before the failure got through');
    // Its request line (200: the stream had begun) counts the tokens that came before the failure.
    const [line] = await stack.iris.logged((l) => l.msg === 'request' && stack.iris.logs.indexOf(l) >= logsBefore, 3000);
    assert.equal(line?.status, 200);
    // Estimated: by the tokenizer once loaded, else ~4 characters a token (usage.ts cutStreamUsage).
    assert.ok(Number(line.completion_tokens) >= 1 && Number(line.completion_tokens) <= 3, `the tokens streamed before the failure ("I see"): ${JSON.stringify(line)}`);
  });

  it('writes the mid-stream error as an OpenAI error event and no [DONE]', async () => {
    stack.upstream.script({ kind: 'die-mid-stream', afterChunks: 2 });
    const res = await fetch(`${stack.iris.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.iris.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages, stream: true }),
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(res.status, 200);
    const events = dataEvents(await res.text());
    assert.equal(events.includes('[DONE]'), false);
    const last = JSON.parse(events.at(-1)!) as { error: { type: string; message: string } };
    assertErrorResponse(last);
    assert.equal(last.error.type, 'upstream_error');
    assert.doesNotMatch(last.error.message, /\n\s+at /, 'no stack trace');
    for (const event of events.slice(0, -1)) assertChatCompletionChunk(JSON.parse(event));
  });

  it('turns a failure before the first chunk into an ordinary HTTP error', async () => {
    stack.upstream.script({ kind: 'error', status: 400 });
    await assert.rejects(
      stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }),
      (err: unknown) => err instanceof OpenAI.BadRequestError && err.code === 'invalid_image',
    );
  });

  it('aborts the upstream request when the client disconnects', async () => {
    const slow = await startStack({ upstream: { chunkDelayMs: 50 } });
    try {
      const controller = new AbortController();
      const stream = await slow.iris.client.chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'one two three four five six seven eight nine ten' }], stream: true },
        { signal: controller.signal },
      );
      let received = 0;
      try {
        // The SDK ends the iteration quietly (or throws an abort error) once aborted.
        for await (const _ of stream) {
          if (++received === 2) controller.abort();
        }
      } catch (err) {
        assert.ok(err instanceof OpenAI.APIUserAbortError || (err as Error).name === 'AbortError', String(err));
      }
      assert.equal(received, 2, 'nothing was received after the abort');
      const [request] = chatRequests(slow.upstream);
      await slow.upstream.until(() => request.aborted, 3000);
      assert.equal(request.aborted, true);
      const [line] = await slow.iris.logged((l) => l.msg === 'request' && l.status === 499, 3000);
      assert.equal(line?.path, '/v1/chat/completions', 'the request line, with status 499');
      // The upstream bills what it generated before the cut: the line counts it (estimated).
      assert.equal(line.model, 'gpt-4o-mini');
      assert.equal(line.provider, 'fake');
      assert.ok(Number(line.prompt_tokens) > 0, `prompt tokens counted: ${JSON.stringify(line)}`);
      const whole = fakeReply({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'one two three four five six seven eight nine ten' }] }).completionTokens;
      assert.ok(Number(line.completion_tokens) >= 1 && Number(line.completion_tokens) < whole, `the tokens up to the cut, of ${whole}: ${JSON.stringify(line)}`);
      assert.equal(slow.iris.logs.filter((l) => l.msg === 'request').length, 1, 'one line');
    } finally {
      await slow.close();
    }
  });

  it('replays a JSON answer as chunks when the upstream ignores stream: true', async () => {
    const body = {
      id: 'chatcmpl-json', object: 'chat.completion', created: 1_700_000_000, model: 'gpt-4o-mini', system_fingerprint: 'fp_json',
      choices: [{ index: 0, message: { role: 'assistant', content: 'plain json' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
    };
    stack.upstream.script({ kind: 'json', body });
    const stream = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } });
    const chunks: Chunk[] = [];
    for await (const chunk of stream) {
      assertChatCompletionChunk(chunk);
      chunks.push(chunk);
    }
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'plain json');
    assert.equal(chunks.at(-1)!.usage?.total_tokens, 7);
    assert.ok(chunks.every((c) => c.system_fingerprint === 'fp_json'), 'the answer keeps its fingerprint');
  });

  it("adds the role to each choice's first delta when the upstream leaves it out", async () => {
    const chunk = (index: number, delta: Record<string, unknown>, finish: string | null = null) =>
      JSON.stringify({ id: 'chatcmpl-norole', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'gpt-4o-mini', choices: [{ index, delta, finish_reason: finish }] });
    const events = [chunk(0, { content: 'Hi' }), chunk(1, { content: 'Yo' }), chunk(0, { content: ' there' }), chunk(1, {}, 'stop'), chunk(0, {}, 'stop'), '[DONE]'];
    stack.upstream.script({ kind: 'sse', events });
    const runner = stack.iris.client.chat.completions.stream({ model: 'gpt-4o-mini', messages, n: 2 });
    const roles: [number, string | undefined][] = [];
    runner.on('chunk', (c) => {
      assertChatCompletionChunk(c);
      for (const choice of c.choices) roles.push([choice.index, choice.delta.role]);
    });
    const final = await runner.finalChatCompletion();
    assert.deepEqual(final.choices.map((c) => [c.message.role, c.message.content]), [['assistant', 'Hi there'], ['assistant', 'Yo']]);
    assert.deepEqual(roles, [[0, 'assistant'], [1, 'assistant'], [0, undefined], [1, undefined], [0, undefined]]);
  });

  it('fills the usage breakdown and a fingerprint when the upstream stream has neither', async () => {
    const base = { id: 'chatcmpl-bare', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'gpt-4o-mini', system_fingerprint: null };
    const events = [
      JSON.stringify({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi' }, finish_reason: null }] }),
      JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }),
      JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 9, completion_tokens: 1, total_tokens: 10 } }),
      '[DONE]',
    ];
    stack.upstream.script({ kind: 'sse', events });
    const stream = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } });
    const chunks: Chunk[] = [];
    for await (const c of stream) {
      assertChatCompletionChunk(c);
      chunks.push(c);
    }
    const fingerprints = new Set(chunks.map((c) => c.system_fingerprint));
    assert.equal(fingerprints.size, 1, 'one fingerprint on every chunk');
    assert.match([...fingerprints][0] ?? '', /^fp_iris_[0-9a-f]+$/);
    assert.deepEqual(chunks.at(-1)!.usage, {
      prompt_tokens: 9,
      completion_tokens: 1,
      total_tokens: 10,
      prompt_tokens_details: { cached_tokens: 0, text_tokens: 9, image_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
  });

  it("keeps one fingerprint for the whole stream when the upstream's comes only on later chunks", async () => {
    const base = { id: 'chatcmpl-late', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'gpt-4o-mini' };
    const events = [
      JSON.stringify({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi' }, finish_reason: null }] }),
      JSON.stringify({ ...base, system_fingerprint: 'fp_late', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }),
      '[DONE]',
    ];
    stack.upstream.script({ kind: 'sse', events });
    const stream = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    const fingerprints = new Set<string | undefined>();
    for await (const c of stream) fingerprints.add(c.system_fingerprint);
    assert.equal(fingerprints.size, 1, [...fingerprints].join(', '));
  });

  it('a non-streamed completion still comes back whole after streams', async () => {
    const completion = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    assertChatCompletion(completion);
  });
});

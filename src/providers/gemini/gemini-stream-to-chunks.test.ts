import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../../openai/api-error.ts';
import type { ChatCompletionChunk } from '../../openai/types.ts';
import { fixtureEvents } from '../upstream/testing/fixture-events.ts';
import { geminiStreamToChunks } from './gemini-stream-to-chunks.ts';

async function collect(name: string): Promise<ChatCompletionChunk[]> {
  const out: ChatCompletionChunk[] = [];
  for await (const c of geminiStreamToChunks(fixtureEvents('gemini', name, 41), { model: 'gemini-x', created: 1700000000 })) out.push(c);
  return out;
}

test('a text stream: role, content pieces, finish, then usage from the last usageMetadata', async () => {
  const chunks = await collect('text.sse.txt');
  assert.ok(chunks.every((c) => c.id === 'chatcmpl-Hf8aaJ2UCNSK7dcP5a6M8Qo' && c.model === 'gemini-2.5-flash' && c.created === 1700000000));
  assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '' });
  assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'A wooden boardwalk over a meadow.');
  assert.deepEqual(chunks.at(-2)!.choices, [{ index: 0, delta: {}, finish_reason: 'stop' }]);
  assert.deepEqual(chunks.at(-1)!.choices, []);
  assert.deepEqual(chunks.at(-1)!.usage, {
    prompt_tokens: 270, completion_tokens: 42, total_tokens: 312,
    prompt_tokens_details: { cached_tokens: 0, text_tokens: 12, image_tokens: 258 },
    completion_tokens_details: { reasoning_tokens: 35 },
  });
});

test('a function call arrives whole in one tool_calls delta and finishes as tool_calls', async () => {
  const chunks = await collect('function-call.sse.txt');
  const calls = chunks.flatMap((c) => c.choices.flatMap((ch) => ch.delta.tool_calls ?? []));
  assert.equal(calls.length, 1);
  assert.equal(calls[0].index, 0);
  assert.equal(calls[0].type, 'function');
  assert.match(calls[0].id ?? '', /^call_/);
  assert.deepEqual(calls[0].function, { name: 'get_weather', arguments: '{"city":"Oslo"}' });
  assert.equal(chunks.at(-2)!.choices[0].finish_reason, 'tool_calls');
});

test('a blocked prompt streams a content_filter finish', async () => {
  const chunks = await collect('blocked-prompt.sse.txt');
  assert.equal(chunks.at(-2)!.choices[0].finish_reason, 'content_filter');
  assert.equal(chunks.at(-1)!.usage?.prompt_tokens, 1290);
});

test('an error object mid-stream throws the mapped error; a stream cut before finishReason is a 502', async () => {
  await assert.rejects(collect('error-mid-stream.sse.txt'), (err: ApiError) => err.status === 503 && err.type === 'overloaded_error');
  await assert.rejects(collect('truncated.sse.txt'), (err: ApiError) => err.status === 502 && err.code === 'upstream_stream_truncated');
});

test('each event’s logprobsResult rides on its content chunk', async () => {
  const token = (t: string, p: number) => ({ token: t, logProbability: p });
  const events = [
    { candidates: [{ content: { role: 'model', parts: [{ text: 'Hi' }] }, index: 0, logprobsResult: { topCandidates: [{ candidates: [token('Hi', -0.5)] }], chosenCandidates: [token('Hi', -0.5)] } }] },
    { candidates: [{ content: { role: 'model', parts: [{ text: '!' }] }, finishReason: 'STOP', index: 0, logprobsResult: { topCandidates: [], chosenCandidates: [token('!', -1)] } }] },
  ];
  const out: ChatCompletionChunk[] = [];
  for await (const c of geminiStreamToChunks((async function* () { for (const e of events) yield { data: JSON.stringify(e) }; })(), { model: 'g' })) out.push(c);
  const withContent = out.filter((c) => c.choices[0]?.delta.content);
  assert.deepEqual(withContent.map((c) => c.choices[0].logprobs), [
    { content: [{ token: 'Hi', logprob: -0.5, bytes: [72, 105], top_logprobs: [{ token: 'Hi', logprob: -0.5, bytes: [72, 105] }] }], refusal: null },
    { content: [{ token: '!', logprob: -1, bytes: [33], top_logprobs: [] }], refusal: null },
  ]);
});

test('a stream that carries no usageMetadata ends without a usage chunk (Iris estimates, not zeros)', async () => {
  async function* events() {
    yield { data: JSON.stringify({ responseId: 'r1', modelVersion: 'gemini-2.5-flash', candidates: [{ index: 0, content: { role: 'model', parts: [{ text: 'Hi' }] }, finishReason: 'STOP' }] }), event: '', id: '' };
  }
  const chunks: ChatCompletionChunk[] = [];
  for await (const c of geminiStreamToChunks(events(), { model: 'gemini-x', created: 1700000000 })) chunks.push(c);
  assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'Hi');
  assert.equal(chunks.at(-1)!.choices[0].finish_reason, 'stop');
  assert.ok(chunks.every((c) => c.usage == null));
});

test('a candidate that ends in a failed function call (MALFORMED_FUNCTION_CALL, …) fails the stream with a 502 naming it', async () => {
  for (const reason of ['MALFORMED_FUNCTION_CALL', 'UNEXPECTED_TOOL_CALL', 'TOO_MANY_TOOL_CALLS']) {
    async function* events() {
      yield { data: JSON.stringify({ responseId: 'r1', candidates: [{ index: 0, content: { role: 'model', parts: [{ text: 'Let me' }] } }] }), event: '', id: '' };
      yield { data: JSON.stringify({ responseId: 'r1', candidates: [{ index: 0, content: { role: 'model', parts: [] }, finishReason: reason }] }), event: '', id: '' };
    }
    const chunks: ChatCompletionChunk[] = [];
    await assert.rejects(
      (async () => {
        for await (const c of geminiStreamToChunks(events(), { model: 'gemini-x', created: 1700000000 })) chunks.push(c);
      })(),
      (err: ApiError) => err.status === 502 && err.code === 'upstream_bad_response' && err.message.includes(reason),
    );
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'Let me', 'what came before it went out');
    assert.ok(chunks.every((c) => c.choices[0]?.finish_reason == null), `${reason}: no finish_reason claims the answer is complete`);
  }
});

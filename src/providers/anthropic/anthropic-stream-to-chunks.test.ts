import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../../openai/api-error.ts';
import type { ChatCompletionChunk } from '../../openai/types.ts';
import { fixtureEvents } from '../upstream/testing/fixture-events.ts';
import { anthropicStreamToChunks } from './anthropic-stream-to-chunks.ts';
import type { AnthropicJsonMode } from './convert-to-anthropic-request.ts';

async function collect(name: string, json: AnthropicJsonMode | null = null): Promise<ChatCompletionChunk[]> {
  const out: ChatCompletionChunk[] = [];
  for await (const chunk of anthropicStreamToChunks(fixtureEvents('anthropic', name, 37), json, 1700000000)) out.push(chunk);
  return out;
}

test('a text stream: role chunk, content deltas, finish chunk, then the usage chunk', async () => {
  const chunks = await collect('text.sse.txt');
  assert.ok(chunks.every((c) => c.id === 'chatcmpl-msg_014p7gG3wDgGV9EUtLvnow3U' && c.object === 'chat.completion.chunk' && c.created === 1700000000));
  assert.deepEqual(chunks[0].choices, [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]);
  assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'A red bicycle.');
  const finish = chunks.at(-2)!;
  assert.deepEqual(finish.choices, [{ index: 0, delta: {}, finish_reason: 'stop' }]);
  const usage = chunks.at(-1)!;
  assert.deepEqual(usage.choices, []);
  assert.deepEqual(usage.usage, { prompt_tokens: 728, completion_tokens: 6, total_tokens: 734, prompt_tokens_details: { cached_tokens: 256 } });
});

test('a tool-use stream: thinking as reasoning, the call opened with id and name, arguments as fragments', async () => {
  const chunks = await collect('tool-use.sse.txt');
  const deltas = chunks.flatMap((c) => c.choices.map((ch) => ch.delta));
  assert.equal(deltas.map((d) => d.reasoning_content ?? '').join(''), 'Need the weather tool.');
  assert.equal(deltas.map((d) => d.content ?? '').join(''), 'Checking Oslo.');
  const calls = deltas.flatMap((d) => d.tool_calls ?? []);
  assert.deepEqual(calls[0], { index: 0, id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', type: 'function', function: { name: 'get_weather', arguments: '' } });
  assert.deepEqual(JSON.parse(calls.map((c) => c.function?.arguments ?? '').join('')), { city: 'Oslo' });
  assert.equal(chunks.at(-2)!.choices[0].finish_reason, 'tool_calls');
  assert.equal(chunks.at(-1)!.usage?.completion_tokens, 89);
});

test('an error event mid-stream throws the mapped error after the text so far', async () => {
  const seen: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const c of anthropicStreamToChunks(fixtureEvents('anthropic', 'overloaded.sse.txt', 37), null)) seen.push(c.choices[0]?.delta.content ?? '');
    })(),
    (err: ApiError) => err.status === 503 && err.type === 'overloaded_error',
  );
  assert.equal(seen.join(''), 'Partial');
});

test('a stream cut before message_stop is an error, not a short answer', async () => {
  await assert.rejects(collect('truncated.sse.txt'), (err: ApiError) => err.status === 502 && err.code === 'upstream_stream_truncated');
});

test('json_schema via a forced tool streams the tool input as content and finishes with stop', async () => {
  const chunks = await collect('tool-use.sse.txt', { mode: 'tool', name: 'get_weather', wrapped: false });
  const deltas = chunks.flatMap((c) => c.choices.map((ch) => ch.delta));
  assert.equal(deltas.some((d) => d.tool_calls), false);
  assert.equal(deltas.map((d) => d.content ?? '').join(''), 'Checking Oslo.{"city": "Oslo"}');
  assert.equal(chunks.at(-2)!.choices[0].finish_reason, 'stop');
});

async function fromEvents(events: Array<Record<string, unknown>>, json: AnthropicJsonMode | null = null): Promise<ChatCompletionChunk[]> {
  async function* source() {
    for (const e of events) yield { event: String(e.type), data: JSON.stringify(e) };
  }
  const out: ChatCompletionChunk[] = [];
  for await (const chunk of anthropicStreamToChunks(source(), json, 1700000000)) out.push(chunk);
  return out;
}

const toolStream = (input: Record<string, unknown>, partials: string[]) => [
  { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], model: 'claude-x', stop_reason: null, usage: { input_tokens: 5, output_tokens: 1 } } },
  { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_1', name: 'get_time', input } },
  ...partials.map((partial_json) => ({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json } })),
  { type: 'content_block_stop', index: 0 },
  { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 7 } },
  { type: 'message_stop' },
];

test('a tool called without arguments streams them as {} (Anthropic sends one empty input_json_delta), as a complete answer gives them', async () => {
  const args = async (input: Record<string, unknown>, partials: string[]) =>
    (await fromEvents(toolStream(input, partials))).flatMap((c) => c.choices.flatMap((ch) => ch.delta.tool_calls ?? [])).map((t) => t.function?.arguments ?? '').join('');
  assert.equal(await args({}, ['']), '{}');
  assert.equal(await args({}, []), '{}');
  // An Anthropic-compatible server that puts the whole input in content_block_start.
  assert.equal(await args({ tz: 'UTC' }, []), '{"tz":"UTC"}');
  assert.equal(await args({}, ['{"tz":', '"UTC"}']), '{"tz":"UTC"}');
});

test('the json_schema answer tool given whole in content_block_start is that answer, wrapped or not', async () => {
  const answer = async (json: AnthropicJsonMode, input: Record<string, unknown>) =>
    (await fromEvents(toolStream(input, []), json)).flatMap((c) => c.choices.map((ch) => ch.delta.content ?? '')).join('');
  assert.equal(await answer({ mode: 'tool', name: 'get_time', wrapped: false }, { tz: 'UTC' }), '{"tz":"UTC"}');
  assert.equal(await answer({ mode: 'tool', name: 'get_time', wrapped: true }, { value: ['a', 'b'] }), '["a","b"]');
  assert.equal(await answer({ mode: 'tool', name: 'get_time', wrapped: false }, {}), '{}');
});

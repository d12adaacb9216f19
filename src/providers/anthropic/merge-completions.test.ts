import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatCompletion, ChatCompletionChunk } from '../../openai/types.ts';
import { mergeChunkStreams, mergeCompletions } from './merge-completions.ts';

const completion = (text: string): ChatCompletion => ({
  id: `chatcmpl-${text}`, object: 'chat.completion', created: 1, model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, finish_reason: 'stop', logprobs: null }],
  usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12, prompt_tokens_details: { cached_tokens: 0 } },
});

test('n completions merge into one with choices 0..n-1 and summed usage', () => {
  const out = mergeCompletions([completion('a'), completion('b'), completion('c')]);
  assert.deepEqual(out.choices.map((c) => [c.index, c.message.content]), [[0, 'a'], [1, 'b'], [2, 'c']]);
  assert.equal(out.usage?.total_tokens, 36);
});

async function* stream(text: string, delayMs: number): AsyncGenerator<ChatCompletionChunk> {
  const base = { id: `id-${text}`, object: 'chat.completion.chunk' as const, created: 1, model: 'm' };
  for (const ch of text) {
    await new Promise((r) => setTimeout(r, delayMs));
    yield { ...base, choices: [{ index: 0, delta: { content: ch }, finish_reason: null }] };
  }
  yield { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] };
  yield { ...base, choices: [], usage: { prompt_tokens: 5, completion_tokens: text.length, total_tokens: 5 + text.length } };
}

test('n streams interleave as choices of one stream with one id and one summed usage chunk at the end', async () => {
  const chunks: ChatCompletionChunk[] = [];
  for await (const c of mergeChunkStreams([stream('abc', 3), stream('xy', 5)])) chunks.push(c);
  assert.ok(chunks.every((c) => c.id === chunks[0].id));
  const text = (i: number) => chunks.flatMap((c) => c.choices.filter((ch) => ch.index === i).map((ch) => ch.delta.content ?? '')).join('');
  assert.equal(text(0), 'abc');
  assert.equal(text(1), 'xy');
  assert.equal(chunks.filter((c) => c.choices.length === 0).length, 1);
  assert.deepEqual(chunks.at(-1)!.usage, { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, prompt_tokens_details: { cached_tokens: 0 } });
});

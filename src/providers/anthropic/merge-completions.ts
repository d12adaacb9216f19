import type { ChatCompletion, ChatCompletionChunk } from '../../openai/types.ts';
import { sumUsage } from './convert-anthropic-usage.ts';

// Anthropic has no `n`: the provider makes n calls and these merge the answers into one
// response whose choices are numbered 0..n-1, with the usage of all calls summed.

export function mergeCompletions(completions: ChatCompletion[]): ChatCompletion {
  const first = completions[0];
  return {
    ...first,
    choices: completions.map((c, i) => ({ ...c.choices[0], index: i })),
    usage: sumUsage(completions.map((c) => c.usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 })),
  };
}

/** Interleaves n chunk streams as choices 0..n-1 of one stream, ending with one usage chunk. */
export async function* mergeChunkStreams(streams: AsyncIterable<ChatCompletionChunk>[]): AsyncGenerator<ChatCompletionChunk> {
  const iterators = streams.map((s) => s[Symbol.asyncIterator]());
  const usages: NonNullable<ChatCompletionChunk['usage']>[] = [];
  let id: string | null = null;
  let created = 0;
  let model = '';
  const next = (i: number) => iterators[i].next().then((result) => ({ i, result }));
  const pending = new Map(iterators.map((_, i) => [i, next(i)]));
  try {
    while (pending.size > 0) {
      const { i, result } = await Promise.race(pending.values());
      if (result.done) {
        pending.delete(i);
        continue;
      }
      pending.set(i, next(i));
      const chunk = result.value;
      id ??= chunk.id;
      created ||= chunk.created;
      model ||= chunk.model;
      if (chunk.choices.length === 0) {
        if (chunk.usage) usages.push(chunk.usage);
        continue;
      }
      yield { ...chunk, id, created, choices: chunk.choices.map((c) => ({ ...c, index: i })) };
    }
  } finally {
    // Not awaited: a return() queues behind a pending next(). The caller aborts the calls' signal.
    for (const it of iterators) void it.return?.()?.catch(() => {});
    for (const p of pending.values()) p.catch(() => {});
  }
  yield { id: id ?? 'chatcmpl-merged', object: 'chat.completion.chunk', created, model, choices: [], usage: sumUsage(usages) };
}

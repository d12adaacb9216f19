import type { Usage } from '../../openai/types.ts';
import type { AnthropicUsage } from './anthropic-wire.ts';

// Anthropic usage → OpenAI usage. Anthropic counts cached input apart from input_tokens;
// OpenAI's prompt_tokens is all input, with the cached part in prompt_tokens_details.

export function convertAnthropicUsage(usage: AnthropicUsage | null | undefined): Usage {
  const input = usage?.input_tokens ?? 0;
  const cacheRead = usage?.cache_read_input_tokens ?? 0;
  const cacheWrite = usage?.cache_creation_input_tokens ?? 0;
  const output = usage?.output_tokens ?? 0;
  const prompt = input + cacheRead + cacheWrite;
  const out: Usage = {
    prompt_tokens: prompt,
    completion_tokens: output,
    total_tokens: prompt + output,
    prompt_tokens_details: { cached_tokens: cacheRead, ...(cacheWrite ? { cache_write_tokens: cacheWrite } : {}) },
  };
  const thinking = usage?.output_tokens_details?.thinking_tokens;
  if (thinking != null) out.completion_tokens_details = { reasoning_tokens: thinking };
  return out;
}

/** Usage of n separate calls as one. */
export function sumUsage(parts: Usage[]): Usage {
  const total: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, prompt_tokens_details: { cached_tokens: 0 } };
  for (const u of parts) {
    total.prompt_tokens += u.prompt_tokens;
    total.completion_tokens += u.completion_tokens;
    total.total_tokens += u.total_tokens;
    total.prompt_tokens_details!.cached_tokens! += u.prompt_tokens_details?.cached_tokens ?? 0;
    const write = u.prompt_tokens_details?.cache_write_tokens;
    if (write) total.prompt_tokens_details!.cache_write_tokens = (total.prompt_tokens_details!.cache_write_tokens ?? 0) + write;
    const reasoning = u.completion_tokens_details?.reasoning_tokens;
    if (reasoning != null) {
      total.completion_tokens_details = { reasoning_tokens: (total.completion_tokens_details?.reasoning_tokens ?? 0) + reasoning };
    }
  }
  return total;
}

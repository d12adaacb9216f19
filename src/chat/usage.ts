import type { ChatCompletionRequest, Usage } from '../openai/types.ts';

// Usage as Iris reports it. Upstreams count images inside prompt_tokens but rarely break them
// out; the local engine counts only text. Either way the image pipeline's estimate fills
// prompt_tokens_details.image_tokens, so every response says what its images cost.

export function withImageTokens(usage: Usage, imageTokens: number, imagesIncluded: boolean): Usage {
  const details = { ...usage.prompt_tokens_details };
  if (details.image_tokens !== undefined || imageTokens === 0) {
    return details.cached_tokens === undefined ? { ...usage, prompt_tokens_details: { cached_tokens: 0, ...details } } : usage;
  }
  let prompt = usage.prompt_tokens;
  if (!imagesIncluded) prompt += imageTokens;
  const image = Math.min(imageTokens, prompt);
  details.image_tokens = image;
  details.text_tokens = prompt - image - (details.audio_tokens ?? 0);
  details.cached_tokens ??= 0;
  return { ...usage, prompt_tokens: prompt, total_tokens: prompt + usage.completion_tokens, prompt_tokens_details: details };
}

// The o200k tokenizer (GPT-4o's) is large: it loads on the first request that needs it.
let counter: typeof import('./count-tokens.ts') | undefined;

/**
 * For upstreams that report no usage at all: o200k tokens of what was sent and received, the
 * prompt framed as OpenAI frames chat messages (the same count the local engine reports).
 */
export async function estimateUsage(request: ChatCompletionRequest, completion: string): Promise<Usage> {
  counter ??= await import('./count-tokens.ts');
  const prompt = counter.promptTokens(request);
  const completionTokens = counter.countTokens(completion);
  return { prompt_tokens: prompt, completion_tokens: completionTokens, total_tokens: prompt + completionTokens };
}

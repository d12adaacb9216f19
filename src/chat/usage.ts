import type { ChatCompletion, ChatCompletionRequest, Usage } from '../openai/types.ts';

// Usage as Iris reports it, whatever the provider sent: prompt_tokens_details always carries
// cached, text and image tokens, completion_tokens_details reasoning tokens (0 when unknown, as
// OpenAI reports for models that do not reason). Upstreams count images inside prompt_tokens but
// rarely break them out; the local engine and Iris's own estimate count only text. Either way
// the image pipeline's estimate fills image_tokens, so every response says what its images cost.

/**
 * `imagesCounted`: whether `usage.prompt_tokens` already includes the images (what an upstream
 * reports does; the local engine's count and estimateUsage() do not, so the estimate is added).
 */
export function withImageTokens(usage: Usage, imageTokens: number, imagesCounted: boolean): Usage {
  const reported = usage.prompt_tokens_details;
  let prompt = usage.prompt_tokens;
  let image = reported?.image_tokens;
  if (image == null) {
    if (!imagesCounted) prompt += imageTokens;
    image = Math.min(imageTokens, prompt);
  }
  return {
    ...usage,
    prompt_tokens: prompt,
    // Some servers leave total_tokens out.
    total_tokens: (usage.total_tokens ?? usage.prompt_tokens + usage.completion_tokens) + prompt - usage.prompt_tokens,
    prompt_tokens_details: {
      ...reported,
      cached_tokens: reported?.cached_tokens ?? 0,
      text_tokens: reported?.text_tokens ?? Math.max(0, prompt - image - (reported?.audio_tokens ?? 0)),
      image_tokens: image,
    },
    completion_tokens_details: { ...usage.completion_tokens_details, reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens ?? 0 },
  };
}

// The o200k tokenizer (GPT-4o's) is large: it loads on the first request that needs it.
let counter: typeof import('./count-tokens.ts') | undefined;

/**
 * For upstreams that report no usage at all: o200k tokens of what was sent and received, the
 * prompt framed as OpenAI frames chat messages (the same count the local engine reports).
 * Images are not in it: withImageTokens(…, false) adds them.
 */
export async function estimateUsage(request: ChatCompletionRequest, completion: string, reasoning = ''): Promise<Usage> {
  counter ??= await import('./count-tokens.ts');
  const prompt = counter.promptTokens(request);
  // As OpenAI counts them: reasoning tokens are completion tokens, broken out in the details.
  const reasoningTokens = reasoning ? counter.countTokens(reasoning) : 0;
  const completionTokens = counter.countTokens(completion) + reasoningTokens;
  return {
    prompt_tokens: prompt,
    completion_tokens: completionTokens,
    total_tokens: prompt + completionTokens,
    completion_tokens_details: { reasoning_tokens: reasoningTokens },
  };
}

/** The reasoning text of every choice (reasoning_content: DeepSeek, vLLM, llama.cpp), to count. */
export function reasoningText(completion: ChatCompletion): string {
  let text = '';
  for (const { message } of completion.choices) if (typeof message.reasoning_content === 'string') text += message.reasoning_content;
  return text;
}

/** What the model generated, as one text to count: content, refusals, tool-call names and arguments. */
export function generatedText(completion: ChatCompletion): string {
  let text = '';
  for (const { message } of completion.choices) {
    if (typeof message.content === 'string') text += message.content;
    if (typeof message.refusal === 'string') text += message.refusal;
    for (const call of message.tool_calls ?? []) text += toolCallText(call);
    // The deprecated function_call, from upstreams that still answer with it.
    const legacy = message.function_call as { name?: string; arguments?: string } | null | undefined;
    if (legacy) text += toolCallText({ function: legacy });
  }
  return text;
}

/** A tool call (or a streamed piece of one) as text to count: a function's or a custom tool's. */
export function toolCallText(call: { function?: { name?: string; arguments?: string }; custom?: { name?: string; input?: string } }): string {
  if (call.custom) return (call.custom.name ?? '') + (call.custom.input ?? '');
  return (call.function?.name ?? '') + (call.function?.arguments ?? '');
}

import type { ChatCompletion, ChatCompletionRequest, Usage } from '../openai/types.ts';
import { forEachPromptText } from './prompt-texts.ts';

// Usage as Iris reports it, whatever the provider sent: prompt_tokens_details always carries
// cached, text and image tokens, completion_tokens_details reasoning tokens (0 when unknown, as
// OpenAI reports for models that do not reason). Upstreams count images inside prompt_tokens but
// rarely break them out; the local engine and Iris's own estimate count only text. Either way
// the image pipeline's estimate fills image_tokens, so every response says what its images cost.

/**
 * `imagesCounted`: whether `usage.prompt_tokens` already includes the images (what an upstream
 * reports does; the local engine's count and estimateUsage() do not, so the estimate is added).
 * The result keeps OpenAI's invariants: text + image + audio ≤ prompt (cached tokens are part
 * of them, not beside them), reasoning inside completion, total = prompt + completion.
 */
export function withImageTokens(usage: Usage, imageTokens: number, imagesCounted: boolean): Usage {
  const reported = countsOf(usage.prompt_tokens_details);
  const audio = count(reported?.audio_tokens);
  let prompt = count(usage.prompt_tokens);
  let image = reported?.image_tokens;
  if (image == null) {
    if (!imagesCounted) prompt += imageTokens;
    // The estimate is what the upstream's own counts leave room for, at most.
    image = Math.min(imageTokens, Math.max(0, prompt - audio - (imagesCounted ? count(reported?.text_tokens) : 0)));
  }
  const reasoning = count(usage.completion_tokens_details?.reasoning_tokens);
  let completion = count(usage.completion_tokens);
  // xAI counts reasoning beside completion_tokens (its total = prompt + completion + reasoning);
  // OpenAI counts it inside.
  if (reasoning > 0 && usage.total_tokens === usage.prompt_tokens + completion + reasoning) completion += reasoning;
  return {
    ...usage,
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: {
      ...reported,
      cached_tokens: reported?.cached_tokens ?? 0,
      text_tokens: reported?.text_tokens ?? Math.max(0, prompt - image - audio),
      image_tokens: image,
    },
    completion_tokens_details: { ...countsOf(usage.completion_tokens_details), reasoning_tokens: reasoning },
  };
}

/**
 * The counts of a details object; the nulls some servers send for what they do not count, and
 * what no count can be (negative, fractional, past MAX_COUNT), are left out.
 */
function countsOf<T extends object>(details: T | null | undefined): Partial<T> | undefined {
  if (details == null) return undefined;
  // The common case, all counts, is returned as it is: this runs for every answer.
  if (allCounts(details)) return details;
  return Object.fromEntries(Object.entries(details).filter(([, v]) => isCount(v))) as Partial<T>;
}

function allCounts(details: object): boolean {
  for (const key in details) if (!isCount((details as Record<string, unknown>)[key])) return false;
  return true;
}

/**
 * More tokens than any request holds: a larger count is a broken (or hostile) upstream's, and
 * sums of counts past it could reach Infinity, which JSON writes as null.
 */
const MAX_COUNT = 1e12;

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_COUNT;
}

/** A token count as the spec types it (an integer ≥ 0): what a server left out or sent broken is 0. */
function count(n: number | null | undefined): number {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.min(Math.round(n), MAX_COUNT) : 0;
}

// The o200k tokenizer (GPT-4o's) is large: it loads on the first request that needs it.
let counter: typeof import('./count-tokens.ts') | undefined;

/**
 * Usage an upstream sent that says what it counted: prompt and completion tokens as numbers.
 * Counts of another type (strings, null) say nothing, and the answer is estimated instead of
 * metered as zero.
 */
export function countedUsage(usage: Usage | null | undefined): Usage | null {
  if (!usage || typeof usage !== 'object') return null;
  const counted = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n >= 0;
  return counted(usage.prompt_tokens) && counted(usage.completion_tokens) ? usage : null;
}

/**
 * The usage of a stream cut short, for its log line: estimateUsage() once the tokenizer is
 * loaded; before that, about 4 characters a token. Loading it (~0.35 s of evaluation and ~100 MB
 * on this project's VMs, far more under load) when a cut stream closes would stall every other
 * request on the event loop for what is only a log line.
 */
export async function cutStreamUsage(request: ChatCompletionRequest, completion: string, reasoning: string): Promise<Usage> {
  if (counter) return estimateUsage(request, completion, reasoning);
  const tokens = (chars: number) => Math.ceil(chars / 4);
  const prompt = tokens(promptChars(request));
  const reasoningTokens = tokens(reasoning.length);
  const completionTokens = tokens(completion.length) + reasoningTokens;
  return { prompt_tokens: prompt, completion_tokens: completionTokens, total_tokens: prompt + completionTokens, completion_tokens_details: { reasoning_tokens: reasoningTokens } };
}

/** The characters of a prompt's texts (prompt-texts.ts). */
function promptChars(request: ChatCompletionRequest): number {
  let chars = 0;
  forEachPromptText(request, (text) => (chars += text.length));
  return chars;
}

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

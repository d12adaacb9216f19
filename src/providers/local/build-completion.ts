import { randomBytes } from 'node:crypto';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, FinishReason, Usage } from '../../openai/types.ts';
import { countTokens, truncateToTokens } from '../../chat/count-tokens.ts';

// Turns the engine's answer into OpenAI's response shapes, honouring the request's output
// controls: `stop` cuts at the first stop sequence (finish_reason stop), max_tokens /
// max_completion_tokens truncate (finish_reason length), `n` repeats the (deterministic)
// answer. Sampling parameters have nothing to act on and are ignored.

export const SYSTEM_FINGERPRINT = 'fp_iris_engine_1';

export interface Shaped {
  content: string;
  finishReason: FinishReason;
}

export function shapeAnswer(answer: string, request: Pick<ChatCompletionRequest, 'stop' | 'max_tokens' | 'max_completion_tokens'>): Shaped {
  let content = answer;
  const stops = (Array.isArray(request.stop) ? request.stop : request.stop ? [request.stop] : []).filter((s) => s.length > 0);
  let cut = -1;
  for (const s of stops) {
    const at = content.indexOf(s);
    if (at >= 0 && (cut < 0 || at < cut)) cut = at;
  }
  if (cut >= 0) content = content.slice(0, cut);
  const limit = request.max_completion_tokens ?? request.max_tokens;
  if (typeof limit === 'number' && limit >= 0 && countTokens(content) > limit) return { content: cutToTokens(content, limit), finishReason: 'length' };
  return { content, finishReason: 'stop' };
}

/**
 * The longest prefix of `text` within `limit` tokens that ends on a whole character. o200k splits
 * rare characters (emoji, uncommon scripts) over several byte tokens: a cut between them would
 * decode to U+FFFD and re-count to more tokens than the limit.
 */
function cutToTokens(text: string, limit: number): string {
  for (let n = limit; n > 0; n--) {
    const cut = truncateToTokens(text, n).text;
    if (text.startsWith(cut) && countTokens(cut) <= limit) return cut;
  }
  return '';
}

export function completionId(): string {
  return `chatcmpl-${randomBytes(12).toString('hex')}`;
}

export function choiceCount(request: Pick<ChatCompletionRequest, 'n'>): number {
  return Math.max(1, Math.floor(request.n ?? 1));
}

export function makeUsage(promptTokens: number, shaped: Shaped, n: number): Usage {
  const completion = countTokens(shaped.content) * n;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completion,
    total_tokens: promptTokens + completion,
    prompt_tokens_details: { cached_tokens: 0, text_tokens: promptTokens },
    completion_tokens_details: { reasoning_tokens: 0 },
  };
}

export function buildCompletion(model: string, shaped: Shaped, n: number, usage: Usage, id = completionId(), created = nowSeconds()): ChatCompletion {
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: Array.from({ length: n }, (_, index) => ({
      index,
      message: { role: 'assistant' as const, content: shaped.content, refusal: null },
      finish_reason: shaped.finishReason,
      logprobs: null,
    })),
    usage,
    // As OpenAI says which tier served a request; the engine has one.
    service_tier: 'default',
    system_fingerprint: SYSTEM_FINGERPRINT,
  };
}

/** Role chunk, content in pieces of a few words, finish chunk (per choice), then the usage chunk. */
export function* buildChunks(model: string, shaped: Shaped, n: number, usage: Usage, id = completionId(), created = nowSeconds()): Generator<ChatCompletionChunk> {
  const base = { id, object: 'chat.completion.chunk' as const, created, model, service_tier: 'default', system_fingerprint: SYSTEM_FINGERPRINT };
  const pieces = splitForStreaming(shaped.content);
  for (let index = 0; index < n; index++) {
    yield { ...base, choices: [{ index, delta: { role: 'assistant', content: '' }, finish_reason: null, logprobs: null }] };
    for (const piece of pieces) yield { ...base, choices: [{ index, delta: { content: piece }, finish_reason: null, logprobs: null }] };
    yield { ...base, choices: [{ index, delta: {}, finish_reason: shaped.finishReason, logprobs: null }] };
  }
  yield { ...base, choices: [], usage };
}

/** Pieces of about four words that concatenate back to the text exactly. */
export function splitForStreaming(text: string, wordsPerPiece = 4): string[] {
  const words = text.match(/\s*\S+\s*/g) ?? (text ? [text] : []);
  const pieces: string[] = [];
  for (let i = 0; i < words.length; i += wordsPerPiece) pieces.push(words.slice(i, i + wordsPerPiece).join(''));
  // Leading/trailing whitespace-only text would otherwise be lost.
  if (pieces.join('') !== text) return text ? [text] : [];
  return pieces;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

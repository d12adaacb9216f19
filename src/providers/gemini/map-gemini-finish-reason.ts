import { ApiError, shorten } from '../../openai/api-error.ts';
import type { FinishReason } from '../../openai/types.ts';

// Gemini finishReason → OpenAI finish_reason. A candidate that called functions and stopped
// normally finished with tool_calls. One whose function call failed has no OpenAI finish_reason.

const FILTERED = new Set([
  'SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'LANGUAGE',
  'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT', 'IMAGE_RECITATION',
]);

export function mapGeminiFinishReason(reason: string | null | undefined, calledFunctions = false): FinishReason {
  // CONTINUATION (@google/genai's FinishReason): "reached the per-request token limit, but
  // generation is not yet complete": cut short, as MAX_TOKENS.
  if (reason === 'MAX_TOKENS' || reason === 'CONTINUATION') return 'length';
  if (reason && FILTERED.has(reason)) return 'content_filter';
  // STOP, OTHER, FINISH_REASON_UNSPECIFIED, … end the answer as it stands.
  return calledFunctions ? 'tool_calls' : 'stop';
}

const FAILED_CALLS: Record<string, string> = {
  MALFORMED_FUNCTION_CALL: 'a function call the model wrote was malformed',
  UNEXPECTED_TOOL_CALL: 'the model called a tool the request did not offer',
  TOO_MANY_TOOL_CALLS: 'the model called tools too many times in a row',
};

/**
 * The answer failed where the model tried to call a function: there is no call to hand over and
 * no answer in its place, so it is the upstream's failure (a 502, which OpenAI's SDKs retry),
 * not an empty `stop`. Null for any other finishReason.
 */
export function failedFunctionCall(reason: string | null | undefined, finishMessage?: unknown): ApiError | null {
  const what = reason ? FAILED_CALLS[reason] : undefined;
  if (!what) return null;
  // Gemini's finishMessage says what went wrong (the call it tried to write): kept, cut short.
  const detail = typeof finishMessage === 'string' && finishMessage.trim() ? `: ${shorten(finishMessage.trim(), 500)}` : '.';
  return new ApiError(502, `Gemini stopped the answer: ${what} (${reason})${detail}`, { type: 'upstream_error', code: 'upstream_bad_response' });
}

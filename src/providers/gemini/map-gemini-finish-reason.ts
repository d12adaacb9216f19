import type { FinishReason } from '../../openai/types.ts';

// Gemini finishReason → OpenAI finish_reason. A candidate that called functions and stopped
// normally finished with tool_calls.

const FILTERED = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'LANGUAGE']);

export function mapGeminiFinishReason(reason: string | null | undefined, calledFunctions = false): FinishReason {
  if (reason === 'MAX_TOKENS') return 'length';
  if (reason && FILTERED.has(reason)) return 'content_filter';
  // STOP, OTHER, FINISH_REASON_UNSPECIFIED, MALFORMED_FUNCTION_CALL, … end the answer as it stands.
  return calledFunctions ? 'tool_calls' : 'stop';
}

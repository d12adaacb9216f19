import type { FinishReason } from '../../openai/types.ts';

// An OpenAI-compatible server's finish_reason → OpenAI's. Servers answer with their engine's
// own words: TGI before 2.2 "eos_token" and "stop_sequence", Together "eos", others "end_turn",
// "max_tokens", "tool_use"; OpenAI's clients switch on its five values only. "abort" (vLLM,
// SGLang: the engine dropped the request), "insufficient_system_resource" (DeepSeek, likewise)
// and "error" (OpenRouter, with an error beside it) mean
// the answer is incomplete: 'failed', which the caller turns into an error. null and absent stay
// null (the caller decides what a choice that never said why it stopped gets).

const SYNONYMS: Record<string, FinishReason | 'failed'> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
  content_filter: 'content_filter',
  function_call: 'function_call',
  eos: 'stop',
  eos_token: 'stop',
  stop_sequence: 'stop',
  end_turn: 'stop',
  end: 'stop',
  max_tokens: 'length',
  model_length: 'length',
  max_length: 'length',
  tool_use: 'tool_calls',
  tool_call: 'tool_calls',
  content_filtered: 'content_filter',
  safety: 'content_filter',
  abort: 'failed',
  aborted: 'failed',
  cancelled: 'failed',
  error: 'failed',
  // DeepSeek: "interrupted due to insufficient resource of the inference system".
  insufficient_system_resource: 'failed',
};

export function mapOpenAICompatibleFinishReason(value: unknown): FinishReason | 'failed' | null {
  if (typeof value !== 'string' || value === '') return null;
  // Any other word still means the model stopped: OpenAI's word for that is "stop".
  return SYNONYMS[value.toLowerCase()] ?? 'stop';
}

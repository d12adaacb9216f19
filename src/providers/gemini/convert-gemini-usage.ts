import type { Usage } from '../../openai/types.ts';
import type { GeminiUsageMetadata } from './gemini-wire.ts';

// Gemini usageMetadata → OpenAI usage. Thinking tokens count as completion tokens (as
// OpenAI counts reasoning), and tool-use prompt tokens as prompt (text) tokens. Cached
// content is already inside promptTokenCount, as OpenAI's cached_tokens is inside prompt_tokens.

export function convertGeminiUsage(meta: GeminiUsageMetadata | null | undefined): Usage {
  const prompt = (meta?.promptTokenCount ?? 0) + (meta?.toolUsePromptTokenCount ?? 0);
  const thoughts = meta?.thoughtsTokenCount ?? 0;
  const completion = (meta?.candidatesTokenCount ?? 0) + thoughts;
  const byModality = (name: string) => meta?.promptTokensDetails?.find((d) => d.modality === name)?.tokenCount;
  const image = byModality('IMAGE');
  // promptTokensDetails leaves the tool-use prompt out; it is text (tool results).
  const textModality = byModality('TEXT');
  const text = textModality == null ? undefined : textModality + (meta?.toolUsePromptTokenCount ?? 0);
  const usage: Usage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: {
      cached_tokens: meta?.cachedContentTokenCount ?? 0,
      ...(text != null ? { text_tokens: text } : {}),
      ...(image != null ? { image_tokens: image } : {}),
    },
  };
  if (thoughts) usage.completion_tokens_details = { reasoning_tokens: thoughts };
  return usage;
}

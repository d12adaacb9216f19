import type { ChatCompletionRequest } from '../../openai/types.ts';

// OpenAI renamed `max_tokens` to `max_completion_tokens` (its reasoning models refuse the old
// name), and clients now send either. Servers that know only one of them ignore the other
// without a word (Ollama reads only `max_tokens`): the answer runs on past the client's limit.
// A provider's `max_tokens_field` names the one its server reads; the limit goes under that name.

export type MaxTokensField = 'max_tokens' | 'max_completion_tokens';

/** The request with its limit under `field` only (max_completion_tokens wins where both were sent, as at OpenAI). */
export function withMaxTokensField(request: ChatCompletionRequest, field: MaxTokensField | undefined): ChatCompletionRequest {
  if (!field) return request;
  const limit = request.max_completion_tokens ?? request.max_tokens;
  if (limit == null) return request;
  const { max_tokens: _tokens, max_completion_tokens: _completion, ...rest } = request;
  return { ...rest, [field]: limit };
}

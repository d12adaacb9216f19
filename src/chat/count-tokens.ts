import { decode, encode } from 'gpt-tokenizer/encoding/o200k_base';
import type { ChatCompletionRequest } from '../openai/types.ts';
import { stringifyClientJson } from '../json/stringify-client-json.ts';

// Text tokens in o200k (the gpt-4o family's encoding), counted the way OpenAI counts chat
// prompts: each message's text plus 3 tokens of framing, plus 3 to prime the reply, plus the
// tool definitions. Image tokens are the chat core's business (it adds the image pipeline's
// estimate).

export function countTokens(text: string): number {
  return text ? encode(text).length : 0;
}

export function promptTokens(request: ChatCompletionRequest): number {
  let total = 3;
  for (const message of request.messages ?? []) {
    total += 3;
    if (typeof message.content === 'string') total += countTokens(message.content);
    else if (Array.isArray(message.content)) {
      for (const part of message.content) {
        if (part.type === 'text') total += countTokens(part.text);
        else if (part.type === 'refusal') total += countTokens(part.refusal);
      }
    }
    if (message.name) total += 1 + countTokens(message.name);
    if (typeof message.refusal === 'string') total += countTokens(message.refusal);
    for (const call of message.tool_calls ?? []) {
      total += call.type === 'custom' ? countTokens(call.custom.name) + countTokens(call.custom.input) : countTokens(call.function.name) + countTokens(call.function.arguments);
    }
    if (message.function_call) total += countTokens(message.function_call.name) + countTokens(message.function_call.arguments);
  }
  // Tool definitions are prompt too (OpenAI bills them); their JSON is a close stand-in for the
  // form OpenAI renders them in.
  if (request.tools?.length) total += countTokens(stringifyClientJson(request.tools));
  return total;
}

/** The first `limit` tokens of `text`. */
export function truncateToTokens(text: string, limit: number): { text: string; truncated: boolean } {
  const tokens = encode(text);
  if (tokens.length <= limit) return { text, truncated: false };
  return { text: decode(tokens.slice(0, Math.max(0, limit))), truncated: true };
}

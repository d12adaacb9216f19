import { decode, encode } from 'gpt-tokenizer/encoding/o200k_base';
import type { ChatCompletionRequest } from '../openai/types.ts';
import { stringifyClientJson } from '../json/stringify-client-json.ts';

// Text tokens in o200k (the gpt-4o family's encoding), counted the way OpenAI counts chat
// prompts: each message's text plus 3 tokens of framing, plus 3 to prime the reply, plus the
// tool definitions. Image tokens are the chat core's business (it adds the image pipeline's
// estimate).

/**
 * The longest run without whitespace encoded whole. BPE over one pre-token takes time quadratic
 * in its length (80 KB of one letter: ~6 s of a blocked event loop), and a prompt or an
 * upstream's answer may hold any run; longer ones are counted in slices of this size, which
 * shifts the count by at most a token or so per slice.
 */
const MAX_RUN = 200;
const LONG_RUN = new RegExp(`\\S{${MAX_RUN + 1},}`, 'g');

export function countTokens(text: string): number {
  if (!text) return 0;
  if (text.length <= MAX_RUN) return encode(text).length;
  let total = 0;
  let at = 0;
  for (const run of text.matchAll(LONG_RUN)) {
    if (run.index > at) total += encode(text.slice(at, run.index)).length;
    for (let i = 0; i < run[0].length; i += MAX_RUN) total += encode(run[0].slice(i, i + MAX_RUN)).length;
    at = run.index + run[0].length;
  }
  if (at < text.length) total += encode(text.slice(at)).length;
  return total;
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

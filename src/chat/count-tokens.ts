import { decode, encode } from 'gpt-tokenizer/encoding/o200k_base';
import type { ChatCompletionRequest } from '../openai/types.ts';
import { stringifyClientJson } from '../json/stringify-client-json.ts';
import { forEachPromptText } from './prompt-texts.ts';

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

/**
 * Characters encoded exactly in one count (a prompt, an answer); past them the rest is estimated
 * at the rate of tokens per character measured so far. Encoding costs ~0.05 µs a character of
 * English but ~4 µs of Chinese or Japanese, on the event loop: a 50 MB prompt of it counted
 * exactly would block every other request for minutes. 16 K characters cost 65 ms at worst.
 */
const EXACT_CHARS = 16_384;

/** One count's exact-encoding allowance, and what it measured. */
export class TokenBudget {
  private exactLeft = EXACT_CHARS;
  private tokens = 0;
  private chars = 0;

  count(text: string): number {
    if (!text) return 0;
    if (text.length <= this.exactLeft) return this.measured(text);
    // The head exactly (not splitting a surrogate pair), the rest at the rate measured.
    let cut = this.exactLeft;
    if (cut > 0 && isHighSurrogate(text.charCodeAt(cut - 1))) cut--;
    const head = cut > 0 ? this.measured(text.slice(0, cut)) : 0;
    this.exactLeft = 0;
    const rate = this.chars > 0 ? this.tokens / this.chars : 0.25;
    return head + Math.round((text.length - cut) * rate);
  }

  private measured(text: string): number {
    const tokens = encodeRuns(text);
    this.exactLeft -= text.length;
    this.tokens += tokens;
    this.chars += text.length;
    return tokens;
  }
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

/** Tokens of `text`: exact up to EXACT_CHARS characters, estimated past them (TokenBudget). */
export function countTokens(text: string, budget: TokenBudget = new TokenBudget()): number {
  return budget.count(text);
}

function encodeRuns(text: string): number {
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
  // One allowance for the whole prompt: many long messages are not each counted exactly.
  const budget = new TokenBudget();
  // 3 to prime the reply, 3 of framing per message and 1 more for a name.
  let total = 3;
  for (const message of request.messages ?? []) total += message.name ? 4 : 3;
  forEachPromptText(request, (text) => (total += budget.count(text)));
  // Tool definitions are prompt too (OpenAI bills them); their JSON is a close stand-in for the
  // form OpenAI renders them in.
  if (request.tools?.length) total += budget.count(stringifyClientJson(request.tools));
  return total;
}

/** The first `limit` tokens of `text`. */
export function truncateToTokens(text: string, limit: number): { text: string; truncated: boolean } {
  const tokens = encode(text);
  if (tokens.length <= limit) return { text, truncated: false };
  return { text: decode(tokens.slice(0, Math.max(0, limit))), truncated: true };
}

import type { GeminiLogprobsCandidate, GeminiLogprobsResult } from './gemini-wire.ts';

// Gemini's candidate.logprobsResult (asked for with responseLogprobs, the top ones with
// logprobs) → OpenAI's choice.logprobs. Gemini gives token strings only, so bytes are their UTF-8.

export interface TokenLogprob {
  token: string;
  logprob: number;
  bytes: number[];
}

export interface ChoiceLogprobs {
  content: Array<TokenLogprob & { top_logprobs: TokenLogprob[] }>;
  refusal: null;
}

/** null when Gemini sent none (the client did not ask). */
export function convertGeminiLogprobs(result: GeminiLogprobsResult | undefined): ChoiceLogprobs | null {
  const chosen = result?.chosenCandidates;
  if (!chosen?.length) return null;
  return {
    // topCandidates[i] are the alternatives at the step that chose chosenCandidates[i].
    content: chosen.map((c, i) => ({ ...tokenLogprob(c), top_logprobs: (result?.topCandidates?.[i]?.candidates ?? []).map(tokenLogprob) })),
    refusal: null,
  };
}

function tokenLogprob(c: GeminiLogprobsCandidate): TokenLogprob {
  const token = c.token ?? '';
  return { token, logprob: c.logProbability ?? 0, bytes: [...Buffer.from(token, 'utf8')] };
}

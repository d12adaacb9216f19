import type { ReasoningEffort } from '../../openai/types.ts';
import { anthropicThinkingApi } from './anthropic-thinking-api.ts';
import type { AnthropicEffort, AnthropicThinkingConfig } from './anthropic-wire.ts';

// OpenAI's reasoning_effort → Anthropic's thinking, in the API the model speaks
// (anthropic-thinking-api.ts). `none` and a missing effort send nothing here: the model's own
// default (convert-to-anthropic-request.ts sends `disabled` for `none` to Claude 5, which thinks
// unless told not to; the models that always think would refuse it). For a model that cannot
// think the effort is dropped, as Anthropic would refuse the field: reasoning_effort is a hint,
// not worth a 400.

type Effort = Exclude<ReasoningEffort, 'none'>;

/**
 * Thinking tokens per effort: the budget of a budget model, and for every model the room
 * added to the default max_tokens. `max` is `xhigh`: more would not fit, beside the default
 * answer, under the 32,000-token output cap of Claude Opus 4 and 4.1.
 */
export const THINKING_TOKENS: Record<Effort, number> = {
  minimal: 1024,
  low: 4096,
  medium: 8192,
  high: 16384,
  xhigh: 24576,
  max: 24576,
};

/** Anthropic's smallest budget_tokens. */
const MIN_BUDGET = 1024;
/** A raised default max_tokens stays within the output cap of every thinking Claude. */
const RAISED_MAX_TOKENS_CAP = 32_000;

const ADAPTIVE_EFFORT: Record<Effort, AnthropicEffort> = {
  minimal: 'low',
  low: 'low',
  medium: 'medium',
  high: 'high',
  xhigh: 'xhigh',
  max: 'max',
};

export interface AnthropicThinking {
  thinking: AnthropicThinkingConfig;
  output_config?: { effort: AnthropicEffort };
  max_tokens: number;
}

export interface AnthropicThinkingOptions {
  model: string;
  /** The client's max_completion_tokens (or max_tokens), if it gave one. */
  maxTokens: number | null | undefined;
  defaultMaxTokens: number;
}

/** The thinking fields for this effort and model, with the max_tokens to send; undefined for no thinking. */
export function mapAnthropicThinking(effort: ReasoningEffort | null | undefined, options: AnthropicThinkingOptions): AnthropicThinking | undefined {
  if (effort == null || effort === 'none') return undefined;
  const api = anthropicThinkingApi(options.model);
  if (api.kind === 'none') return undefined;
  const room = THINKING_TOKENS[effort];
  // A client's limit counts reasoning too, as OpenAI's max_completion_tokens does, so it stays
  // as given. Without one, thinking gets its room on top of the default, so the answer is not starved.
  const maxTokens = options.maxTokens ?? Math.max(options.defaultMaxTokens, Math.min(options.defaultMaxTokens + room, RAISED_MAX_TOKENS_CAP));
  if (api.kind === 'adaptive') {
    // The models before 4.7 have no `xhigh`; `max` is the level above `high` they have.
    const level = effort === 'xhigh' && !api.xhigh ? 'max' : ADAPTIVE_EFFORT[effort];
    // Opus 4.7 and later leave the thinking text out unless asked; clients want it as reasoning_content.
    return { thinking: { type: 'adaptive', display: 'summarized' }, output_config: { effort: level }, max_tokens: maxTokens };
  }
  // Anthropic wants MIN_BUDGET <= budget_tokens < max_tokens; a smaller limit leaves no room to think.
  const budget = Math.min(room, maxTokens - 1);
  if (budget < MIN_BUDGET) return undefined;
  return { thinking: { type: 'enabled', budget_tokens: budget }, max_tokens: maxTokens };
}

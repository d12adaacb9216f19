import type { ReasoningEffort } from '../../openai/types.ts';
import { geminiVersion } from './gemini-model-version.ts';
import type { GeminiThinkingConfig } from './gemini-wire.ts';

// OpenAI's reasoning_effort → Gemini's generationConfig.thinkingConfig, in the spirit of
// Google's own OpenAI-compatible endpoint. Gemini 3 and later think in levels; Gemini 2.5, and
// ids that name no version (Gemini 3 still takes budgets), in token budgets. Models before 2.5
// and Gemma cannot think and get nothing. includeThoughts brings the thought parts back, as
// reasoning_content. `none` turns thinking off where the model allows it (budget 0) and
// otherwise asks for the least there is (Gemini 2.5 Pro's 128 tokens, level minimal or low),
// without showing it.

type Effort = Exclude<ReasoningEffort, 'none'>;
type GeminiThinkingLevel = NonNullable<GeminiThinkingConfig['thinkingLevel']>;

/** Gemini 2.5's budgets; xhigh and max are each model's ceiling (32,768 on Pro, 24,576 on Flash). */
const BUDGETS: Record<Effort, number | 'ceiling'> = {
  minimal: 512,
  low: 1024,
  medium: 8192,
  high: 24576,
  xhigh: 'ceiling',
  max: 'ceiling',
};

const LEVELS: Record<Effort, GeminiThinkingLevel> = {
  minimal: 'minimal',
  low: 'low',
  medium: 'medium',
  high: 'high',
  xhigh: 'high',
  max: 'high',
};

export function mapGeminiThinking(effort: ReasoningEffort | null | undefined, model: string): GeminiThinkingConfig | undefined {
  if (effort == null) return undefined;
  const id = model.toLowerCase();
  const version = geminiVersion(id);
  if (id.includes('gemma') || (version && version.major * 10 + version.minor < 25)) return undefined;
  const pro = id.includes('-pro');
  if (version && version.major >= 3) {
    if (effort === 'none') return { thinkingLevel: proLevel('minimal', pro, version.minor) };
    return { thinkingLevel: proLevel(LEVELS[effort], pro, version.minor), includeThoughts: true };
  }
  // Gemini 2.5 Pro cannot stop thinking: 128 tokens is its least.
  if (effort === 'none') return { thinkingBudget: pro ? 128 : 0 };
  const budget = BUDGETS[effort];
  return { thinkingBudget: budget === 'ceiling' ? (pro ? 32768 : 24576) : budget, includeThoughts: true };
}

/** Gemini 3 Pro has no `minimal`, and 3.0 Pro no `medium` either (Google maps it to high). */
function proLevel(level: GeminiThinkingLevel, pro: boolean, minor: number): GeminiThinkingLevel {
  if (!pro) return level;
  if (level === 'minimal') return 'low';
  if (level === 'medium' && minor === 0) return 'high';
  return level;
}

import { claudeVersion } from './claude-version.ts';

// Which thinking API an Anthropic model speaks, from its version (claude-version.ts):
//  - none: Claude 3.5 and older cannot think, and Anthropic refuses `thinking` for them;
//  - budget: Claude 3.7 to 4.5 take `thinking: {type: "enabled", budget_tokens}`;
//  - adaptive: Claude 4.6 and later take `thinking: {type: "adaptive"}` with
//    `output_config.effort` (Opus 4.7 and later refuse budgets); `xhigh` effort came with 4.7.
// A Claude of a family not named there (a newer one) is taken as current: adaptive, without
// xhigh, which not every such model may take. An id that is not Claude's (an
// Anthropic-compatible server) gets budgets, the form such servers implement.

export type AnthropicThinkingApi = { kind: 'none' } | { kind: 'budget' } | { kind: 'adaptive'; xhigh: boolean };

export function anthropicThinkingApi(model: string): AnthropicThinkingApi {
  const version = claudeVersion(model);
  if (version === 'not-claude') return { kind: 'budget' };
  if (version === 'newer-family') return { kind: 'adaptive', xhigh: false };
  if (version < 37) return { kind: 'none' };
  if (version < 46) return { kind: 'budget' };
  return { kind: 'adaptive', xhigh: version >= 47 };
}

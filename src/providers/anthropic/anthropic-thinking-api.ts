import { claudeVersion } from './claude-version.ts';

// Which thinking API an Anthropic model speaks, from its version (claude-version.ts):
//  - none: Claude 3.5 and older cannot think, and Anthropic refuses `thinking` for them;
//  - budget: Claude 3.7 to 4.5 take `thinking: {type: "enabled", budget_tokens}`;
//  - adaptive: Claude 4.6 and later take `thinking: {type: "adaptive"}` with
//    `output_config.effort` (Opus 4.7 and later refuse budgets); `xhigh` effort came with 4.7.
// Claude 5 (Opus 5, Sonnet 5) thinks unless told not to: a request without `thinking` runs
// adaptive, and `{type: "disabled"}` turns it off (at effort high or lower). The families newer
// than claude-version.ts names (Fable, Mythos) always think and refuse `disabled`; otherwise
// they take what Opus 4.7 and 4.8 take (anthropics/skills, claude-api/shared/models.md). An id
// that is not Claude's (an Anthropic-compatible server) gets budgets, the form such servers implement.

export type AnthropicThinkingApi =
  | { kind: 'none' }
  | { kind: 'budget' }
  | { kind: 'adaptive'; xhigh: boolean; default: ThinkingDefault };

/** What a request without `thinking` does: `off`; `on`, with `disabled` to turn it off; `always`. */
export type ThinkingDefault = 'off' | 'on' | 'always';

export function anthropicThinkingApi(model: string): AnthropicThinkingApi {
  const version = claudeVersion(model);
  if (version === 'not-claude') return { kind: 'budget' };
  if (version === 'newer-family') return { kind: 'adaptive', xhigh: true, default: 'always' };
  if (version < 37) return { kind: 'none' };
  if (version < 46) return { kind: 'budget' };
  return { kind: 'adaptive', xhigh: version >= 47, default: version >= 50 ? 'on' : 'off' };
}

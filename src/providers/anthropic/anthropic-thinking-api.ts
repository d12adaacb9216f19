// Which thinking API an Anthropic model speaks, read from its id (as Anthropic, Bedrock and
// Vertex spell it: `claude-sonnet-4-5-20250929`, `us.anthropic.claude-opus-4-1-20250805-v1:0`,
// `claude-3-7-sonnet@20250219`):
//  - none: Claude 3.5 and older cannot think, and Anthropic refuses `thinking` for them;
//  - budget: Claude 3.7 to 4.5 take `thinking: {type: "enabled", budget_tokens}`;
//  - adaptive: Claude 4.6 and later take `thinking: {type: "adaptive"}` with
//    `output_config.effort` (Opus 4.7 and later refuse budgets); `xhigh` effort came with 4.7.
// A Claude of a family not named here (a newer one) is taken as current: adaptive. An id that
// is not Claude's (an Anthropic-compatible server) gets budgets, the form such servers implement.

export type AnthropicThinkingApi = { kind: 'none' } | { kind: 'budget' } | { kind: 'adaptive'; xhigh: boolean };

const FAMILY = '(?:opus|sonnet|haiku)';
// claude-opus-4-1-…, claude-sonnet-4-20250514 (a date follows, not a minor version)
const FAMILY_FIRST = new RegExp(`claude-${FAMILY}-(\\d+)(?:-(\\d)(?!\\d))?`);
// claude-3-7-sonnet-…, claude-3-opus-…
const VERSION_FIRST = new RegExp(`claude-(\\d+)(?:-(\\d))?-${FAMILY}`);

export function anthropicThinkingApi(model: string): AnthropicThinkingApi {
  const id = model.toLowerCase();
  const match = FAMILY_FIRST.exec(id) ?? VERSION_FIRST.exec(id);
  if (!match) return id.includes('claude') ? { kind: 'adaptive', xhigh: false } : { kind: 'budget' };
  // Tenths, so 3.7 is 37: no floating point in the comparisons.
  const version = Number(match[1]) * 10 + Number(match[2] ?? 0);
  if (version < 37) return { kind: 'none' };
  if (version < 46) return { kind: 'budget' };
  return { kind: 'adaptive', xhigh: version >= 47 };
}

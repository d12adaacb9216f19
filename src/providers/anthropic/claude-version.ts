// A Claude model's version, read from its id as Anthropic, Bedrock and Vertex spell it
// (`claude-sonnet-4-5-20250929`, `us.anthropic.claude-opus-4-1-20250805-v1:0`,
// `claude-3-7-sonnet@20250219`), or with a dot as OpenRouter and LiteLLM aliases do
// (`anthropic/claude-opus-4.7`, `claude-3.7-sonnet`): the one parser behind every "which Claude
// is this" decision (thinking API, sampling settings).

/**
 * The version in tenths (3.7 → 37, Opus 4.7 → 47, Opus 5 → 50); `newer-family` for a Claude of a
 * family not named here (`claude-mythos-preview`), which callers take as current; `not-claude`
 * for an id that is not Claude's (an Anthropic-compatible server's own model).
 */
export type ClaudeVersion = number | 'newer-family' | 'not-claude';

const FAMILY = '(?:opus|sonnet|haiku)';
// claude-opus-4-1-…, claude-sonnet-4-20250514 (a date follows, not a minor version)
const FAMILY_FIRST = new RegExp(`claude-${FAMILY}-(\\d+)(?:[-.](\\d)(?!\\d))?`);
// claude-3-7-sonnet-…, claude-3-opus-…
const VERSION_FIRST = new RegExp(`claude-(\\d+)(?:[-.](\\d))?-${FAMILY}`);
// The generations before the families had names: claude-2.1, claude-2, claude-instant-1.2,
// Bedrock's anthropic.claude-v2:1 and anthropic.claude-instant-v1. Retired, but proxies keep the
// names, and they are not a newer family.
const UNNAMED = /claude-(?:instant-v?(1)(?:\.(\d))?|v?([12])(?:\.(\d))?)(?!\d)/;

export function claudeVersion(model: string): ClaudeVersion {
  const id = model.toLowerCase();
  const match = FAMILY_FIRST.exec(id) ?? VERSION_FIRST.exec(id);
  if (!match) {
    const old = UNNAMED.exec(id);
    if (old) return Number(old[1] ?? old[3]) * 10 + Number(old[2] ?? old[4] ?? 0);
    return id.includes('claude') ? 'newer-family' : 'not-claude';
  }
  // Tenths, so that comparisons need no floating point.
  return Number(match[1]) * 10 + Number(match[2] ?? 0);
}

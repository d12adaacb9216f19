import { createHash } from 'node:crypto';

// Anthropic takes tool_use ids (and the tool_use_id of results) of ^[a-zA-Z0-9_-]+$ only and
// answers 400 to others. OpenAI ids are any string, and conversations carried over from other
// upstreams bring ids such as `functions.get_weather:0`. Such an id is rewritten the same way
// wherever it appears, so a call and its result still match; a hash of the original keeps apart
// ids that differ only in the characters replaced.

const ANTHROPIC_TOOL_ID = /^[a-zA-Z0-9_-]+$/;

export function anthropicToolId(id: string): string {
  if (ANTHROPIC_TOOL_ID.test(id)) return id;
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 8);
  return `${id.replace(/[^a-zA-Z0-9_-]/g, '_')}_${hash}`;
}

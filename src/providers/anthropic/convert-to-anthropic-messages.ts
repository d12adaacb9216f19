import { invalidRequest } from '../../openai/api-error.ts';
import type { ChatMessage } from '../../openai/types.ts';
import { parseDataUrl } from '../upstream/parse-data-url.ts';
import { splitConversation } from '../upstream/split-conversation.ts';
import { anthropicToolId } from './anthropic-tool-id.ts';
import type { AnthropicImageBlock, AnthropicMessage, AnthropicRequestBlock, AnthropicTextBlock, AnthropicToolResultBlock } from './anthropic-wire.ts';

// OpenAI messages → Anthropic `system` + alternating user/assistant `messages`.
// splitConversation gathers the system prompt and merges same-role turns; here is how each
// piece looks as an Anthropic block (tool results are user tool_result blocks), and what
// Anthropic refuses with a 400 that OpenAI takes: text that is only whitespace (left out; a
// turn left empty goes, and its neighbours merge), trailing whitespace at the end of a final
// assistant turn (a prefill; trimmed), tool ids outside its alphabet (anthropic-tool-id.ts).

export interface AnthropicConversation {
  system: AnthropicTextBlock[];
  messages: AnthropicMessage[];
}

const ANTHROPIC_MEDIA_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

export function convertToAnthropicMessages(messages: ChatMessage[]): AnthropicConversation {
  const { system, turns } = splitConversation<AnthropicRequestBlock>(messages, 'Anthropic', {
    text: (text) => ({ type: 'text', text }),
    image: imageBlock,
    toolCall: (call, input) => ({ type: 'tool_use', id: anthropicToolId(call.id), name: call.function.name, input }),
    toolResult: (result) => toolResult(anthropicToolId(result.id), result.text),
  });
  const out: AnthropicMessage[] = [];
  for (const turn of turns) {
    const content = turn.items.filter((block) => !(block.type === 'text' && isBlank(block.text)));
    if (content.length === 0) continue;
    const last = out.at(-1);
    if (last?.role === turn.role) last.content.push(...content);
    else out.push({ role: turn.role, content });
  }
  trimFinalAssistant(out);
  if (out.length === 0) throw invalidRequest('Anthropic needs at least one user or assistant message besides the system prompt', 'messages');
  return {
    system: system.filter((text) => !isBlank(text)).map((text) => ({ type: 'text', text })),
    messages: out,
  };
}

const isBlank = (text: string): boolean => text.trim() === '';

/** An empty output goes without content: Anthropic refuses empty (and blank) text. */
function toolResult(id: string, text: string): AnthropicToolResultBlock {
  return isBlank(text) ? { type: 'tool_result', tool_use_id: id } : { type: 'tool_result', tool_use_id: id, content: text };
}

/** "final assistant content cannot end with trailing whitespace": a prefill is trimmed at its end. */
function trimFinalAssistant(messages: AnthropicMessage[]): void {
  const last = messages.at(-1);
  if (last?.role !== 'assistant') return;
  const block = last.content.at(-1);
  if (block?.type !== 'text') return;
  // Blank blocks are gone already, so the trimmed text is not empty.
  last.content[last.content.length - 1] = { type: 'text', text: block.text.trimEnd() };
}

export function imageBlock(url: string, param: string): AnthropicImageBlock {
  const inline = parseDataUrl(url);
  if (inline) {
    if (!ANTHROPIC_MEDIA_TYPES.has(inline.mediaType)) {
      throw invalidRequest(`Anthropic does not accept ${inline.mediaType} images (jpeg, png, gif, webp only)`, param, 'unsupported_image_media_type');
    }
    return { type: 'image', source: { type: 'base64', media_type: inline.mediaType, data: inline.base64 } };
  }
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw invalidRequest('An image must be an http(s) URL or a base64 data URL', param, 'invalid_image_url');
}

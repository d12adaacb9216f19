import { invalidRequest } from '../../openai/api-error.ts';
import type { ChatMessage } from '../../openai/types.ts';
import { parseDataUrl } from '../upstream/parse-data-url.ts';
import { splitConversation } from '../upstream/split-conversation.ts';
import type { AnthropicImageBlock, AnthropicMessage, AnthropicRequestBlock, AnthropicTextBlock } from './anthropic-wire.ts';

// OpenAI messages → Anthropic `system` + alternating user/assistant `messages`.
// splitConversation gathers the system prompt and merges same-role turns; here is only how
// each piece looks as an Anthropic block (tool results are user tool_result blocks).

export interface AnthropicConversation {
  system: AnthropicTextBlock[];
  messages: AnthropicMessage[];
}

const ANTHROPIC_MEDIA_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

export function convertToAnthropicMessages(messages: ChatMessage[]): AnthropicConversation {
  const { system, turns } = splitConversation<AnthropicRequestBlock>(messages, 'Anthropic', {
    text: (text) => ({ type: 'text', text }),
    image: imageBlock,
    toolCall: (call, input) => ({ type: 'tool_use', id: call.id, name: call.function.name, input }),
    toolResult: (result) => ({ type: 'tool_result', tool_use_id: result.id, content: result.text }),
  });
  return {
    system: system.map((text) => ({ type: 'text', text })),
    messages: turns.map((turn) => ({ role: turn.role, content: turn.items })),
  };
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

import { invalidRequest } from '../../openai/api-error.ts';
import type { ChatMessage, ContentPart } from '../../openai/types.ts';
import { parseDataUrl } from '../upstream/parse-data-url.ts';
import type { AnthropicImageBlock, AnthropicMessage, AnthropicRequestBlock, AnthropicTextBlock } from './anthropic-wire.ts';

// OpenAI messages → Anthropic `system` + alternating user/assistant `messages`.
// system/developer turns go to the top-level system prompt; tool turns become user
// tool_result blocks; consecutive same-role turns merge (Anthropic needs alternation).

export interface AnthropicConversation {
  system: AnthropicTextBlock[];
  messages: AnthropicMessage[];
}

const ANTHROPIC_MEDIA_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

export function convertToAnthropicMessages(messages: ChatMessage[]): AnthropicConversation {
  const system: AnthropicTextBlock[] = [];
  const out: AnthropicMessage[] = [];
  const push = (role: 'user' | 'assistant', blocks: AnthropicRequestBlock[]): void => {
    if (blocks.length === 0) return;
    const last = out.at(-1);
    if (last && last.role === role) last.content.push(...blocks);
    else out.push({ role, content: [...blocks] });
  };

  messages.forEach((message, i) => {
    const at = `messages[${i}]`;
    switch (message.role) {
      case 'system':
      case 'developer': {
        const text = textOf(message.content, at);
        if (text) system.push({ type: 'text', text });
        break;
      }
      case 'user':
        push('user', userBlocks(message.content, at));
        break;
      case 'assistant':
        push('assistant', assistantBlocks(message, at));
        break;
      case 'tool': {
        if (!message.tool_call_id) throw invalidRequest('A tool message needs tool_call_id', `${at}.tool_call_id`);
        push('user', [{ type: 'tool_result', tool_use_id: message.tool_call_id, content: textOf(message.content, at) }]);
        break;
      }
      default:
        throw invalidRequest(`Unsupported role "${String(message.role)}"`, `${at}.role`);
    }
  });

  if (out.length === 0) throw invalidRequest('Anthropic needs at least one user or assistant message besides the system prompt', 'messages');
  return { system, messages: out };
}

function userBlocks(content: ChatMessage['content'], at: string): AnthropicRequestBlock[] {
  if (content == null) return [];
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  const blocks: AnthropicRequestBlock[] = [];
  content.forEach((part, j) => {
    const where = `${at}.content[${j}]`;
    if (part.type === 'text') {
      if (part.text) blocks.push({ type: 'text', text: part.text });
    } else if (part.type === 'image_url') {
      blocks.push(imageBlock(part.image_url.url, `${where}.image_url.url`));
    } else {
      throw invalidRequest(`Content part type "${(part as ContentPart).type}" is not supported in user messages`, `${where}.type`);
    }
  });
  return blocks;
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

function assistantBlocks(message: ChatMessage, at: string): AnthropicRequestBlock[] {
  const blocks: AnthropicRequestBlock[] = [];
  const text = textOf(message.content, at, true);
  // Anthropic rejects empty text blocks.
  if (text) blocks.push({ type: 'text', text });
  message.tool_calls?.forEach((call, k) => {
    blocks.push({
      type: 'tool_use',
      id: call.id,
      name: call.function.name,
      input: parseArguments(call.function.arguments, `${at}.tool_calls[${k}].function.arguments`),
    });
  });
  return blocks;
}

function parseArguments(text: string, param: string): unknown {
  if (!text || !text.trim()) return {};
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value;
  } catch {
    // fall through to the error below
  }
  throw invalidRequest('Tool call arguments must be a JSON object', param);
}

/** The text of a content that may only hold text (and, for assistants, refusal) parts. */
function textOf(content: ChatMessage['content'], at: string, allowRefusal = false): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return content
    .map((part, j) => {
      if (part.type === 'text') return part.text;
      if (part.type === 'refusal' && allowRefusal) return part.refusal;
      throw invalidRequest(`Content part type "${part.type}" is not allowed here`, `${at}.content[${j}].type`);
    })
    .join('\n');
}

import { invalidRequest } from '../../openai/api-error.ts';
import type { ChatMessage, ContentPart } from '../../openai/types.ts';
import { parseDataUrl } from '../upstream/parse-data-url.ts';
import type { GeminiContent, GeminiPart } from './gemini-wire.ts';

// OpenAI messages → Gemini `systemInstruction` + `contents` (roles user/model).
// Images go inline (Gemini fetches no arbitrary URLs; Iris inlines them before this point).
// A tool message becomes a functionResponse part, which needs the function's name: it is
// looked up from the earlier assistant tool_calls by tool_call_id.

export interface GeminiConversation {
  systemInstruction?: { parts: Array<{ text: string }> };
  contents: GeminiContent[];
}

export interface GeminiContentsOptions {
  /**
   * Gemini 3 rejects replayed function calls without a thoughtSignature. OpenAI clients
   * cannot carry one, so Google's documented sentinel stands in for it.
   */
  signFunctionCalls?: boolean;
}

export const SKIP_THOUGHT_SIGNATURE = 'skip_thought_signature_validator';

const GEMINI_MEDIA_TYPES = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/heic', 'image/heif']);

export function convertToGeminiContents(messages: ChatMessage[], options: GeminiContentsOptions = {}): GeminiConversation {
  const system: Array<{ text: string }> = [];
  const contents: GeminiContent[] = [];
  const toolNames = new Map<string, string>();
  const push = (role: 'user' | 'model', parts: GeminiPart[]): void => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts: [...parts] });
  };

  messages.forEach((message, i) => {
    const at = `messages[${i}]`;
    switch (message.role) {
      case 'system':
      case 'developer': {
        const text = textOf(message.content, at);
        if (text) system.push({ text });
        break;
      }
      case 'user':
        push('user', userParts(message.content, at));
        break;
      case 'assistant': {
        const parts: GeminiPart[] = [];
        const text = textOf(message.content, at, true);
        if (text) parts.push({ text });
        message.tool_calls?.forEach((call, k) => {
          toolNames.set(call.id, call.function.name);
          const part: GeminiPart = {
            functionCall: { name: call.function.name, args: parseArguments(call.function.arguments, `${at}.tool_calls[${k}].function.arguments`) },
          };
          // Only the first call of a turn carries a signature (parallel calls share it).
          if (options.signFunctionCalls && k === 0) part.thoughtSignature = SKIP_THOUGHT_SIGNATURE;
          parts.push(part);
        });
        push('model', parts);
        break;
      }
      case 'tool': {
        const id = message.tool_call_id;
        if (!id) throw invalidRequest('A tool message needs tool_call_id', `${at}.tool_call_id`);
        const name = toolNames.get(id);
        if (!name) throw invalidRequest(`No earlier assistant tool call has the id "${id}"`, `${at}.tool_call_id`);
        push('user', [{ functionResponse: { name, response: toResponseObject(textOf(message.content, at)) } }]);
        break;
      }
      default:
        throw invalidRequest(`Unsupported role "${String(message.role)}"`, `${at}.role`);
    }
  });

  if (contents.length === 0) throw invalidRequest('Gemini needs at least one user or assistant message besides the system prompt', 'messages');
  return { ...(system.length ? { systemInstruction: { parts: system } } : {}), contents };
}

function userParts(content: ChatMessage['content'], at: string): GeminiPart[] {
  if (content == null) return [];
  if (typeof content === 'string') return content ? [{ text: content }] : [];
  const parts: GeminiPart[] = [];
  content.forEach((part, j) => {
    const where = `${at}.content[${j}]`;
    if (part.type === 'text') {
      if (part.text) parts.push({ text: part.text });
    } else if (part.type === 'image_url') {
      parts.push(imagePart(part.image_url.url, `${where}.image_url.url`));
    } else {
      throw invalidRequest(`Content part type "${(part as ContentPart).type}" is not supported in user messages`, `${where}.type`);
    }
  });
  return parts;
}

function imagePart(url: string, param: string): GeminiPart {
  const inline = parseDataUrl(url);
  if (inline) {
    if (!GEMINI_MEDIA_TYPES.has(inline.mediaType)) {
      throw invalidRequest(`Gemini does not accept ${inline.mediaType} images (png, jpeg, webp, heic, heif only)`, param, 'unsupported_image_media_type');
    }
    return { inlineData: { mimeType: inline.mediaType, data: inline.base64 } };
  }
  // Files already uploaded to Gemini's File API are the only URLs it reads itself.
  if (/^https:\/\/generativelanguage\.googleapis\.com\/v1beta\/files\//.test(url)) return { fileData: { fileUri: url } };
  throw invalidRequest('Gemini takes images inline: give a base64 data URL', param, 'invalid_image_url');
}

function parseArguments(text: string, param: string): Record<string, unknown> {
  if (!text || !text.trim()) return {};
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through to the error below
  }
  throw invalidRequest('Tool call arguments must be a JSON object', param);
}

/** functionResponse.response must be an object: JSON objects go as they are, anything else under `content`. */
function toResponseObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // plain text
  }
  return { content: text };
}

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

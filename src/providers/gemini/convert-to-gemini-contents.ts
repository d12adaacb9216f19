import { invalidRequest } from '../../openai/api-error.ts';
import type { ChatMessage, ToolCall } from '../../openai/types.ts';
import { parseDataUrl } from '../upstream/parse-data-url.ts';
import { splitConversation } from '../upstream/split-conversation.ts';
import { GEMINI_FILE_URL } from './gemini-image-limits.ts';
import type { GeminiContent, GeminiPart } from './gemini-wire.ts';

// OpenAI messages → Gemini `systemInstruction` + `contents` (roles user/model); splitConversation
// walks the messages, here is only how each piece looks as a Gemini part.
// Images go inline (Gemini fetches no arbitrary URLs; Iris inlines them before this point).
// A tool message becomes a functionResponse part, which needs the function's name: it is
// looked up from the earlier assistant tool_calls by tool_call_id; a turn's responses go in the
// order of its calls.

export interface GeminiConversation {
  systemInstruction?: { parts: Array<{ text: string }> };
  contents: GeminiContent[];
}

export interface GeminiContentsOptions {
  /**
   * Gemini 3 and later: replayed function calls need a thoughtSignature (the one Gemini gave,
   * sent back in the call's extra_content, else Google's documented sentinel in its place), and
   * each call and its response carry the call's id ("the client … return the response with the
   * matching id": @google/genai's FunctionCall.id). Gemini 2 refuses ids it did not expect.
   */
  gemini3?: boolean;
}

export const SKIP_THOUGHT_SIGNATURE = 'skip_thought_signature_validator';

const GEMINI_MEDIA_TYPES = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/heic', 'image/heif']);

export function convertToGeminiContents(messages: ChatMessage[], options: GeminiContentsOptions = {}): GeminiConversation {
  /** Each call's place in its turn, by id; and each result part's, by the call it answers. */
  const callPlace = new Map<string, number>();
  const resultPlace = new Map<GeminiPart, number>();
  const { system, turns } = splitConversation<GeminiPart>(messages, 'Gemini', {
    text: (text) => ({ text }),
    image: imagePart,
    toolCall(call, args, k) {
      callPlace.set(call.id, k);
      const part: GeminiPart = { functionCall: { ...(options.gemini3 ? { id: call.id } : {}), name: call.function.name, args } };
      // The signature Gemini gave goes back as it came; else only the first call of a turn
      // carries one (parallel calls share it).
      const signature = (call as ToolCall).extra_content?.google?.thought_signature;
      if (typeof signature === 'string' && signature) part.thoughtSignature = signature;
      else if (options.gemini3 && k === 0) part.thoughtSignature = SKIP_THOUGHT_SIGNATURE;
      return part;
    },
    toolResult(result, param) {
      if (!result.name) throw invalidRequest(`No earlier assistant tool call has the id "${result.id}"`, param);
      const part: GeminiPart = { functionResponse: { ...(options.gemini3 ? { id: result.id } : {}), name: result.name, response: toResponseObject(result.text) } };
      resultPlace.set(part, callPlace.get(result.id) ?? 0);
      return part;
    },
  });
  const contents: GeminiContent[] = turns.map((turn) => ({
    role: turn.role === 'assistant' ? 'model' : 'user',
    parts: inCallOrder(turn.items, resultPlace),
  }));
  return { ...(system.length ? { systemInstruction: { parts: system.map((text) => ({ text })) } } : {}), contents };
}

/**
 * A turn's function responses in the order of the calls they answer. Gemini's calls and
 * responses often carry no ids, so it pairs them by order: results a client sent in another
 * order (Rome's before Oslo's) would answer the wrong call. Other parts keep their places.
 */
function inCallOrder(parts: GeminiPart[], place: Map<GeminiPart, number>): GeminiPart[] {
  const at = parts.flatMap((part, i) => (place.has(part) ? [i] : []));
  if (at.length < 2) return parts;
  const sorted = at.map((i) => parts[i]).sort((a, b) => place.get(a)! - place.get(b)!);
  const out = [...parts];
  at.forEach((i, n) => (out[i] = sorted[n]));
  return out;
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
  if (GEMINI_FILE_URL.test(url)) return { fileData: { fileUri: url } };
  throw invalidRequest('Gemini takes images inline: give a base64 data URL', param, 'invalid_image_url');
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

import type { ChatCompletionRequest, ChatMessage, ContentPart } from '../openai/types.ts';
import { verbatimText, placeholderIndex, type VerbatimString } from './verbatim-strings.ts';

// For readers that want image URLs as strings (analysis mode, the Anthropic, Gemini and local
// providers): the request with each placeholder replaced by the data URL it stands for. Only
// the image pipeline and the OpenAI-compatible provider work on the bytes themselves.

/** Each string is made once per request, however many readers expand it. */
const texts = new WeakMap<VerbatimString, string>();

/** A copy of the request with placeholders expanded; the request itself when it holds none. */
export function expandPlaceholders(request: ChatCompletionRequest, verbatim: readonly VerbatimString[] | undefined): ChatCompletionRequest {
  if (!verbatim?.length) return request;
  let changed = false;
  const messages = request.messages.map((message): ChatMessage => {
    if (!Array.isArray(message.content)) return message;
    let changedHere = false;
    const content = message.content.map((part): ContentPart => {
      if (part?.type !== 'image_url') return part;
      const index = placeholderIndex(part.image_url.url);
      const string = index < 0 ? undefined : verbatim[index];
      if (!string) return part;
      changedHere = true;
      return { ...part, image_url: { ...part.image_url, url: textOf(string) } };
    });
    if (!changedHere) return message;
    changed = true;
    return { ...message, content };
  });
  return changed ? { ...request, messages } : request;
}

function textOf(string: VerbatimString): string {
  let text = texts.get(string);
  if (text === undefined) {
    text = verbatimText(string);
    texts.set(string, text);
  }
  return text;
}

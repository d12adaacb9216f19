import type { ChatCompletionRequest, ChatMessage, ContentPart } from './types.ts';

/**
 * A copy of the request with image URLs replaced wherever `replace` gives a new one
 * (undefined keeps the URL); the request itself when nothing changes. The client's objects
 * are never modified.
 */
export function mapImageUrls(
  request: ChatCompletionRequest,
  replace: (url: string, messageIndex: number, partIndex: number) => string | undefined,
): ChatCompletionRequest {
  let changed = false;
  const messages = request.messages.map((message, i): ChatMessage => {
    if (!Array.isArray(message.content)) return message;
    let changedHere = false;
    const content = message.content.map((part, j): ContentPart => {
      if (part?.type !== 'image_url') return part;
      const url = replace(part.image_url.url, i, j);
      if (url === undefined) return part;
      changedHere = true;
      return { ...part, image_url: { ...part.image_url, url } };
    });
    if (!changedHere) return message;
    changed = true;
    return { ...message, content };
  });
  return changed ? { ...request, messages } : request;
}

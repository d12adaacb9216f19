import type { ChatCompletionRequest, ContentPart } from '../openai/types.ts';
import type { FoundImage } from './find-images.ts';

// Pure: the request with each image part replaced, in place, by a text part.

export type ImageOutcome = { kind: 'described'; text: string; model: string } | { kind: 'failed'; reason: string; model: string };

export function describedImageText(image: FoundImage, outcome: ImageOutcome): string {
  if (outcome.kind === 'failed') {
    return `[Image ${image.number} could not be analysed by ${outcome.model} (${outcome.reason}); its content is unknown.]`;
  }
  return `[Image ${image.number}: description by ${outcome.model}, standing in for the image]\n${outcome.text.trim()}\n[End of image ${image.number} description]`;
}

export function replaceImages(request: ChatCompletionRequest, images: FoundImage[], outcomes: ImageOutcome[]): ChatCompletionRequest {
  const byPosition = new Map(images.map((image, i) => [`${image.messageIndex}:${image.partIndex}`, describedImageText(image, outcomes[i])]));
  const messages = request.messages.map((message, messageIndex) => {
    if (!Array.isArray(message.content)) return message;
    const content: ContentPart[] = message.content.map((part, partIndex) => {
      if (part.type !== 'image_url') return part;
      const text = byPosition.get(`${messageIndex}:${partIndex}`);
      // Every image was found by findImages, so each has a text; the fallback keeps images out regardless.
      return { type: 'text', text: text ?? '[Image omitted]' };
    });
    return { ...message, content };
  });
  return { ...request, messages };
}

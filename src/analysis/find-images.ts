import { headAndTail } from '../head-and-tail.ts';
import type { ChatCompletionRequest, ChatMessage, ImageDetail } from '../openai/types.ts';

// Where the images of a request are, and what the user asked about each one.

export interface FoundImage {
  /** 1-based, in request order: how the text model's context refers to the image. */
  number: number;
  messageIndex: number;
  partIndex: number;
  /** e.g. `messages[0].content[1].image_url.url`, as errors name it. */
  param: string;
  url: string;
  detail?: ImageDetail;
  /**
   * The user's text beside the image (its own message, else the next user message with text
   * in the same turn, before the assistant answers; a long one cut to its start and end).
   * Never from a later turn, so a resent history asks the same question and hits the cache.
   */
  question: string;
}

export function findImages(request: ChatCompletionRequest): FoundImage[] {
  const found: FoundImage[] = [];
  request.messages.forEach((message, messageIndex) => {
    if (!Array.isArray(message.content)) return;
    message.content.forEach((part, partIndex) => {
      if (part.type !== 'image_url') return;
      found.push({
        number: found.length + 1,
        messageIndex,
        partIndex,
        param: `messages[${messageIndex}].content[${partIndex}].image_url.url`,
        url: part.image_url.url,
        detail: part.image_url.detail,
        question: questionFor(request.messages, messageIndex),
      });
    });
  });
  return found;
}

export function hasImages(request: ChatCompletionRequest): boolean {
  return request.messages.some((m) => Array.isArray(m.content) && m.content.some((p) => p.type === 'image_url'));
}

/**
 * The question goes into every image's prompt: a long message (a pasted document) would be
 * paid for once per image and could overflow a small vision model's context, failing the
 * request. Its start and end (where a question usually is) are enough to focus a description.
 */
const QUESTION_HEAD_CHARS = 1000;
const QUESTION_TAIL_CHARS = 1000;

function questionFor(messages: ChatMessage[], messageIndex: number): string {
  return headAndTail(nearestText(messages, messageIndex), QUESTION_HEAD_CHARS, QUESTION_TAIL_CHARS);
}

function nearestText(messages: ChatMessage[], messageIndex: number): string {
  const own = textOf(messages[messageIndex]);
  if (own) return own;
  for (let i = messageIndex + 1; i < messages.length; i++) {
    const { role } = messages[i];
    if (role === 'assistant' || role === 'tool') break; // the turn is over
    if (role !== 'user') continue;
    const text = textOf(messages[i]);
    if (text) return text;
  }
  return '';
}

function textOf(message: ChatMessage): string {
  if (typeof message.content === 'string') return message.content.trim();
  if (!Array.isArray(message.content)) return '';
  return message.content
    .flatMap((p) => (p.type === 'text' ? [p.text] : []))
    .join('\n')
    .trim();
}

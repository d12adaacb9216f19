import { invalidRequest } from '../../openai/api-error.ts';
import type { ChatCompletionRequest, ChatMessage } from '../../openai/types.ts';
import { decodeDataUrl as decodeImageDataUrl, isDataUrl } from '../../images/data-url.ts';
import { ImageProblem } from '../../images/image-problem.ts';
import { headAndTail } from '../../head-and-tail.ts';

// What the engine needs from an OpenAI request: the question (text of the last user
// message), the images to look at, and whether JSON is wanted.
//
// Images: those of the last user message. When it has none (a follow-up such as "and how
// many dogs?"), the images of the most recent earlier user message that has some, so a
// conversation about one picture keeps working.
//
// Question: the text of the last user message. When it has none (some clients send the
// question and then the image as two user messages), the text of the user messages just
// before it, back to the last answer.

export interface RequestImage {
  /** e.g. `messages[0].content[1].image_url.url` */
  param: string;
  data: Buffer;
}

export interface EngineRequest {
  question: string;
  images: RequestImage[];
  json: boolean;
}

/**
 * What of a long question the engine reads: its start and end, where the question in a pasted
 * document usually is. The engine looks for what is asked, not for a document's content, and
 * its question parsing and answer need not grow with a message of any length.
 */
const QUESTION_HEAD_CHARS = 1000;
const QUESTION_TAIL_CHARS = 1000;

export function readRequest(request: ChatCompletionRequest): EngineRequest {
  const messages = request.messages ?? [];
  const lastUser = findLastIndex(messages, (m) => m.role === 'user');
  let question = '';
  for (let i = lastUser; i >= 0 && !question.trim() && messages[i]!.role === 'user'; i--) question = textOf(messages[i]!);
  let images: RequestImage[] = [];
  for (let i = lastUser; i >= 0 && !images.length; i--) {
    if (messages[i]!.role === 'user') images = imagesOf(messages[i]!, i);
  }
  const format = request.response_format?.type;
  return { question: headAndTail(question, QUESTION_HEAD_CHARS, QUESTION_TAIL_CHARS), images, json: format === 'json_object' || format === 'json_schema' };
}

function textOf(message: ChatMessage): string {
  if (typeof message.content === 'string') return message.content;
  if (!Array.isArray(message.content)) return '';
  return message.content
    .filter((p) => p.type === 'text')
    .map((p) => (p as { text: string }).text)
    .join('\n');
}

function imagesOf(message: ChatMessage, messageIndex: number): RequestImage[] {
  if (!Array.isArray(message.content)) return [];
  const out: RequestImage[] = [];
  message.content.forEach((part, j) => {
    if (part.type !== 'image_url') return;
    const param = `messages[${messageIndex}].content[${j}].image_url.url`;
    out.push({ param, data: decodeDataUrl(part.image_url?.url ?? '', param) });
  });
  return out;
}

/** The bytes of an inline image, decoded as strictly as the image pipeline does. */
export function decodeDataUrl(url: string, param: string): Buffer {
  if (!isDataUrl(url)) {
    throw invalidRequest(
      /^https?:/i.test(url)
        ? 'The Image-Recognition engine takes images inline as data:image/...;base64 URLs; this URL was not fetched.'
        : 'The image must be a data:image/...;base64 URL.',
      param,
      'invalid_image',
    );
  }
  try {
    return decodeImageDataUrl(url).bytes;
  } catch (err) {
    throw err instanceof ImageProblem ? err.toApiError(param) : err;
  }
}

function findLastIndex<T>(items: T[], test: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (test(items[i]!)) return i;
  return -1;
}

import { mapImageUrls } from '../openai/map-image-urls.ts';
import type { ChatCompletionRequest } from '../openai/types.ts';
import { verbatimStringOf, verbatimText, type VerbatimString } from './verbatim-strings.ts';

// For readers that want image URLs as strings (analysis mode, the Anthropic, Gemini and local
// providers): the request with each placeholder replaced by the data URL it stands for. Only
// the image pipeline and the OpenAI-compatible provider work on the bytes themselves.

/** Each string is made once per request, however many readers expand it. */
const texts = new WeakMap<VerbatimString, string>();

/** A copy of the request with placeholders expanded; the request itself when it holds none. */
export function expandPlaceholders(request: ChatCompletionRequest, verbatim: readonly VerbatimString[] | undefined): ChatCompletionRequest {
  if (!verbatim?.length) return request;
  return mapImageUrls(request, (url) => {
    const string = verbatimStringOf(url, verbatim);
    return string && textOf(string);
  });
}

function textOf(string: VerbatimString): string {
  let text = texts.get(string);
  if (text === undefined) {
    text = verbatimText(string);
    texts.set(string, text);
  }
  return text;
}

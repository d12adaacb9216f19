// What the third-party client tests share: the images they send, a scripted upstream answer
// with JSON content (the fake upstream answers plain text otherwise), and the usage the fake
// upstream reported for the requests it received, to compare with what a client adds up.

import type { ChatCompletion, ChatCompletionRequest } from '../../src/openai/types.ts';
import { fakePromptTokens, fakeReply, type Behaviour, type FakeOpenAI } from '../support/fake-openai-upstream.ts';
import { PNG_DATA_URL, chatRequests } from '../e2e/e2e-setup.ts';

export { PNG_DATA_URL };

/** The 1×1 PNG of PNG_DATA_URL as bytes. */
export const PNG_BYTES: Buffer = Buffer.from(PNG_DATA_URL.slice(PNG_DATA_URL.indexOf(',') + 1), 'base64');

/** Bytes that are no image at all (Iris answers 400 invalid_image). */
export const NOT_AN_IMAGE: Buffer = Buffer.from('this is plain text, not a picture');

/** An upstream answer whose message content is `content` (e.g. JSON for structured output). */
export function contentReply(content: string, usage = { prompt_tokens: 31, completion_tokens: 9 }): Behaviour {
  const body: ChatCompletion = {
    id: 'chatcmpl-scripted0000000000000000000',
    object: 'chat.completion',
    created: 1_721_172_741,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  };
  return { kind: 'json', body };
}

/** The upstream chat requests received since `from` (an index into chatRequests). */
export function requestsSince(upstream: FakeOpenAI, from: number): ChatCompletionRequest[] {
  return chatRequests(upstream)
    .slice(from)
    .map((r) => r.body as ChatCompletionRequest);
}

/** Token usage the fake upstream reported for these (default, unscripted) requests, summed. */
export function fakeUsage(requests: ChatCompletionRequest[]): { prompt: number; completion: number; total: number } {
  let prompt = 0;
  let completion = 0;
  for (const request of requests) {
    prompt += fakePromptTokens(request);
    completion += fakeReply(request).completionTokens;
  }
  return { prompt, completion, total: prompt + completion };
}

import assert from 'node:assert/strict';
import type OpenAI from 'openai';
import { assertChatCompletionChunk } from './openai-schemas.ts';
import type { RunningIris } from './start-iris.ts';

// A chat request to a running Iris over plain HTTP (fetch), for tests that need the exact
// status, headers and bytes rather than what the openai SDK makes of them.

type Chunk = OpenAI.Chat.Completions.ChatCompletionChunk;

export interface ChatAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed, or undefined when it is not JSON. */
  json: any;
}

/** POST /v1/chat/completions with `body` (an object, or JSON text as it is). */
export async function postChatJson(iris: Pick<RunningIris, 'baseURL' | 'apiKey'>, body: unknown, timeoutMs = 10_000): Promise<ChatAnswer> {
  const res = await fetch(`${iris.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${iris.apiKey}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** The `data:` payloads of a stream that must answer 200 (`stream: true` is added). */
export async function streamPayloads(iris: Pick<RunningIris, 'baseURL' | 'apiKey'>, body: Record<string, unknown>): Promise<string[]> {
  const { status, text } = await postChatJson(iris, { ...body, stream: true });
  assert.equal(status, 200, text);
  return text.split('\n\n').filter((b) => b.startsWith('data: ')).map((b) => b.slice(6));
}

/** The chunks of a stream that must succeed: no error event, each chunk valid, then [DONE]. */
export async function streamChunks(iris: Pick<RunningIris, 'baseURL' | 'apiKey'>, body: Record<string, unknown>): Promise<Chunk[]> {
  const payloads = await streamPayloads(iris, body);
  assert.equal(payloads.at(-1), '[DONE]', `ends with [DONE]: ${payloads.slice(-3).join(' | ')}`);
  const chunks = payloads.slice(0, -1).map((p) => JSON.parse(p) as Chunk);
  for (const chunk of chunks) {
    assert.equal((chunk as { error?: unknown }).error, undefined, JSON.stringify(chunk));
    assertChatCompletionChunk(chunk);
  }
  return chunks;
}

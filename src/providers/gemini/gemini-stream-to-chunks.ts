import { ApiError } from '../../openai/api-error.ts';
import type { ChatCompletionChunk, ChunkDelta, FinishReason } from '../../openai/types.ts';
import { convertGeminiLogprobs } from './convert-gemini-logprobs.ts';
import { completionId, readParts, type GeminiResponseContext } from './convert-gemini-response.ts';
import { convertGeminiUsage } from './convert-gemini-usage.ts';
import type { GeminiResponse, GeminiUsageMetadata } from './gemini-wire.ts';
import { mapGeminiStreamError } from './map-gemini-error.ts';
import { failedFunctionCall, mapGeminiFinishReason } from './map-gemini-finish-reason.ts';

// Gemini's SSE stream (`alt=sse`: each event one GenerateContentResponse with the new parts)
// → OpenAI chunks. Gemini sends no end marker: the stream is complete when every candidate
// has a finishReason (or the prompt was blocked), and the connection closes. A stream that
// closes before that is an error, never a silent short answer.

export interface SseMessage {
  event?: string;
  data: string;
}

interface CandidateState {
  tools: number;
  finished: boolean;
}

export async function* geminiStreamToChunks(
  events: AsyncIterable<SseMessage>,
  context: GeminiResponseContext,
): AsyncGenerator<ChatCompletionChunk> {
  const created = context.created ?? Math.floor(Date.now() / 1000);
  let id: string | null = null;
  let model = context.model;
  let usage: GeminiUsageMetadata | undefined;
  let blocked = false;
  const candidates = new Map<number, CandidateState>();

  const chunk = (index: number, delta: ChunkDelta, finish: FinishReason | null = null): ChatCompletionChunk => ({
    id: id!, object: 'chat.completion.chunk', created, model,
    choices: [{ index, delta, finish_reason: finish }],
  });

  for await (const message of events) {
    const event = parseEvent(message);
    if (!event) continue;
    id ??= completionId(event.responseId);
    if (event.modelVersion) model = event.modelVersion;
    if (event.usageMetadata) usage = event.usageMetadata;

    if (!event.candidates?.length && event.promptFeedback?.blockReason) {
      blocked = true;
      yield chunk(0, { role: 'assistant', content: null, refusal: event.promptFeedback.blockReasonMessage ?? `The prompt was blocked (${event.promptFeedback.blockReason}).` });
      yield chunk(0, {}, 'content_filter');
      continue;
    }
    for (const [position, candidate] of (event.candidates ?? []).entries()) {
      const index = candidate.index ?? position;
      let state = candidates.get(index);
      if (!state) {
        state = { tools: 0, finished: false };
        candidates.set(index, state);
        yield chunk(index, { role: 'assistant', content: '' });
      }
      const { text, reasoning, toolCalls: calls } = readParts(candidate.content?.parts ?? []);
      const toolCalls = context.oneToolCall ? calls.slice(0, Math.max(0, 1 - state.tools)) : calls;
      if (reasoning) yield chunk(index, { reasoning_content: reasoning });
      if (text) {
        const content = chunk(index, { content: text });
        // Each event's logprobsResult covers the tokens it brought.
        const logprobs = convertGeminiLogprobs(candidate.logprobsResult);
        if (logprobs) content.choices[0].logprobs = logprobs;
        yield content;
      }
      if (toolCalls.length) {
        // Gemini sends each call whole, so one delta carries id, name and all arguments.
        yield chunk(index, { tool_calls: toolCalls.map((call) => ({ index: state.tools++, ...call })) });
      }
      if (candidate.finishReason && !state.finished) {
        const failed = failedFunctionCall(candidate.finishReason, candidate.finishMessage);
        if (failed) throw failed;
        state.finished = true;
        yield chunk(index, {}, mapGeminiFinishReason(candidate.finishReason, state.tools > 0));
      }
    }
  }

  const complete = blocked || (candidates.size > 0 && [...candidates.values()].every((c) => c.finished));
  if (!complete) {
    throw new ApiError(502, 'The Gemini stream ended before every candidate finished', { type: 'upstream_error', code: 'upstream_stream_truncated' });
  }
  // No usageMetadata at all: no usage, so Iris estimates it rather than reporting zeros as counted.
  if (usage) yield { id: id!, object: 'chat.completion.chunk', created, model, choices: [], usage: convertGeminiUsage(usage) };
}

function parseEvent(message: SseMessage): GeminiResponse | null {
  if (!message.data.trim()) return null;
  let value: unknown;
  try {
    value = JSON.parse(message.data);
  } catch {
    throw new ApiError(502, 'Gemini sent a malformed stream event', { type: 'upstream_error', code: 'upstream_bad_response' });
  }
  if (!value || typeof value !== 'object') return null;
  const error = (value as { error?: unknown }).error;
  if (error && typeof error === 'object') throw mapGeminiStreamError(error);
  return value as GeminiResponse;
}

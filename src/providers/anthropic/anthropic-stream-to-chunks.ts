import { ApiError } from '../../openai/api-error.ts';
import type { ChatCompletionChunk, ChunkDelta, FinishReason, Usage } from '../../openai/types.ts';
import type { AnthropicStreamEvent, AnthropicUsage } from './anthropic-wire.ts';
import type { AnthropicJsonMode } from './convert-to-anthropic-request.ts';
import { nowSeconds } from './convert-anthropic-response.ts';
import { convertAnthropicUsage } from './convert-anthropic-usage.ts';
import { mapAnthropicStreamError } from './map-anthropic-error.ts';
import { mapAnthropicStopReason } from './map-anthropic-stop-reason.ts';

// Anthropic stream events → OpenAI chat.completion.chunks: a role chunk first, content /
// reasoning / tool-call deltas, a finish chunk, then one usage chunk with empty choices.
// A stream that ends before message_stop is an error, never a silent short answer.

export interface SseMessage {
  event?: string;
  data: string;
}

/** What each content block is; a tool call (the answer tool too) keeps its content_block_start `input`, and whether argument text followed. */
type BlockKind =
  | { kind: 'text' | 'thinking' | 'other' }
  | { kind: 'tool'; toolIndex: number; input: unknown; streamed: boolean }
  | { kind: 'json'; input: unknown; buffer: string };

export async function* anthropicStreamToChunks(
  // finish(): the upstream client's, called at message_stop so the body ends on its own and
  // its keep-alive connection serves the next call (stopping reading would cancel it).
  events: AsyncIterable<SseMessage> & { finish?(): void },
  json: AnthropicJsonMode | null,
  created = nowSeconds(),
): AsyncGenerator<ChatCompletionChunk> {
  let id = 'chatcmpl-anthropic';
  let model = '';
  let usage: AnthropicUsage = {};
  let stopReason: string | null = null;
  let prefix = json?.mode === 'prefill' ? json.prefix : '';
  let toolCount = 0;
  let jsonToolStarted = false;
  const blocks = new Map<number, BlockKind>();

  const chunk = (delta: ChunkDelta, finish: FinishReason | null = null): ChatCompletionChunk => ({
    id, object: 'chat.completion.chunk', created, model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  const content = (text: string): ChatCompletionChunk => {
    const out = chunk({ content: prefix + text });
    prefix = '';
    return out;
  };

  for await (const message of events) {
    const event = parseEvent(message);
    if (!event) continue;
    switch (event.type) {
      case 'message_start':
        id = `chatcmpl-${event.message.id}`;
        model = event.message.model;
        usage = { ...event.message.usage };
        yield chunk({ role: 'assistant', content: '' });
        break;
      case 'content_block_start': {
        const block = event.content_block;
        if (block.type === 'text') {
          blocks.set(event.index, { kind: 'text' });
          const text = (block as { text?: string }).text;
          if (text) yield content(text);
        } else if (block.type === 'thinking') {
          blocks.set(event.index, { kind: 'thinking' });
        } else if (block.type === 'tool_use') {
          const use = block as { id: string; name: string; input?: unknown };
          if (json?.mode === 'tool' && use.name === json.name) {
            blocks.set(event.index, { kind: 'json', input: use.input, buffer: '' });
          } else {
            const toolIndex = toolCount++;
            blocks.set(event.index, { kind: 'tool', toolIndex, input: use.input, streamed: false });
            yield chunk({ tool_calls: [{ index: toolIndex, id: use.id, type: 'function', function: { name: use.name, arguments: '' } }] });
          }
        } else {
          blocks.set(event.index, { kind: 'other' });
        }
        break;
      }
      case 'content_block_delta': {
        const kind = blocks.get(event.index) ?? { kind: 'other' };
        const delta = event.delta as { type: string; text?: string; thinking?: string; partial_json?: string };
        if (delta.type === 'text_delta' && delta.text) yield content(delta.text);
        else if (delta.type === 'thinking_delta' && delta.thinking) yield chunk({ reasoning_content: delta.thinking });
        else if (delta.type === 'input_json_delta' && delta.partial_json) {
          if (kind.kind === 'tool') {
            kind.streamed = true;
            yield chunk({ tool_calls: [{ index: kind.toolIndex, function: { arguments: delta.partial_json } }] });
          } else if (kind.kind === 'json') {
            // A wrapped schema's value cannot be cut out of partial JSON; it is sent whole at the end.
            if (!(json?.mode === 'tool' && json.wrapped)) {
              jsonToolStarted = true;
              yield content(delta.partial_json);
            }
            kind.buffer += delta.partial_json;
          }
        }
        break;
      }
      case 'content_block_stop': {
        const kind = blocks.get(event.index);
        // A call without arguments comes with one empty input_json_delta: its arguments are
        // `{}`, as in a complete answer, not '' (which clients fail to parse). A server that
        // gives the whole input in content_block_start and no deltas gets that input.
        if (kind?.kind === 'tool' && !kind.streamed) {
          yield chunk({ tool_calls: [{ index: kind.toolIndex, function: { arguments: JSON.stringify(kind.input ?? {}) } }] });
        }
        if (kind?.kind === 'json' && json?.mode === 'tool') {
          // The answer given whole in content_block_start, as for a call above.
          const answer = kind.buffer || JSON.stringify(kind.input ?? {});
          if (json.wrapped) yield content(unwrapValue(answer));
          else if (!jsonToolStarted) yield content(answer);
        }
        break;
      }
      case 'message_delta':
        if (event.delta?.stop_reason) stopReason = event.delta.stop_reason;
        // message_delta usage is cumulative: its fields replace the earlier ones.
        if (event.usage) usage = { ...usage, ...withoutNulls(event.usage) };
        break;
      case 'message_stop': {
        events.finish?.();
        let finish = mapAnthropicStopReason(stopReason);
        if (json?.mode === 'tool' && finish === 'tool_calls' && toolCount === 0) finish = 'stop';
        yield chunk({}, finish);
        yield usageChunk(id, created, model, convertAnthropicUsage(usage));
        return;
      }
      case 'error':
        throw mapAnthropicStreamError(event.error);
      default:
        // ping, and event types newer than this code
        break;
    }
  }
  throw new ApiError(502, 'The Anthropic stream ended before message_stop', { type: 'upstream_error', code: 'upstream_stream_truncated' });
}

function usageChunk(id: string, created: number, model: string, usage: Usage): ChatCompletionChunk {
  return { id, object: 'chat.completion.chunk', created, model, choices: [], usage };
}

function parseEvent(message: SseMessage): AnthropicStreamEvent | null {
  if (!message.data) return null;
  let value: unknown;
  try {
    value = JSON.parse(message.data);
  } catch {
    throw new ApiError(502, `Anthropic sent a malformed stream event${message.event ? ` (${message.event})` : ''}`, {
      type: 'upstream_error',
      code: 'upstream_bad_response',
    });
  }
  if (!value || typeof value !== 'object') return null;
  const event = value as AnthropicStreamEvent;
  // The SSE event name and the JSON type agree on Anthropic; the name wins for errors.
  if (message.event === 'error' && event.type !== 'error') {
    return { type: 'error', error: (value as { error?: { type: string; message: string } }).error ?? { type: 'api_error', message: 'stream error' } };
  }
  return event;
}

function unwrapValue(buffer: string | undefined): string {
  try {
    return JSON.stringify((JSON.parse(buffer || '{}') as { value?: unknown }).value ?? null);
  } catch {
    return 'null';
  }
}

function withoutNulls(usage: AnthropicUsage): AnthropicUsage {
  return Object.fromEntries(Object.entries(usage).filter(([, v]) => v != null)) as AnthropicUsage;
}

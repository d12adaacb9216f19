import type { ChatCompletionRequest } from '../../openai/types.ts';
import { thinkingConflict } from './anthropic-thinking-conflict.ts';
import { anthropicSampling } from './anthropic-sampling.ts';
import type { AnthropicRequest } from './anthropic-wire.ts';
import { convertToAnthropicMessages } from './convert-to-anthropic-messages.ts';
import { convertToAnthropicTools } from './convert-to-anthropic-tools.ts';
import type { TemperaturePolicy } from './map-anthropic-temperature.ts';
import { mapAnthropicThinking } from './map-anthropic-thinking.ts';

// A whole OpenAI request → one Anthropic Messages request (n is the provider's business:
// Anthropic has no n). JSON output has no native switch here, so:
//  - json_object: ask in the system prompt and prefill the answer with `{` (not while
//    thinking: Anthropic refuses a prefill then, and the instruction alone must do);
//  - json_schema: force a tool whose input schema is the schema; its input is the answer.
// reasoning_effort turns thinking on (map-anthropic-thinking.ts). With thinking Anthropic
// refuses temperature other than 1, top_k, and top_p below 0.95, so those are left out: the
// client asked for reasoning explicitly, and OpenAI's own reasoning models take no sampling
// settings either. Without thinking, the sampling settings go as the model takes them
// (anthropic-sampling.ts: Claude 4.7 and later take only the defaults). verbosity has no
// Anthropic counterpart and is not sent.

export interface AnthropicRequestOptions {
  defaultMaxTokens: number;
  temperature: TemperaturePolicy;
  stream: boolean;
}

/** How to turn the upstream answer back into JSON content, when JSON was asked for. */
export type AnthropicJsonMode =
  | { mode: 'prefill'; prefix: string }
  | { mode: 'tool'; name: string; wrapped: boolean };

export interface AnthropicRequestPlan {
  body: AnthropicRequest;
  json: AnthropicJsonMode | null;
}

const JSON_OBJECT_INSTRUCTION = 'Respond with one valid JSON object and nothing else: no prose, no code fences.';

export function convertToAnthropicRequest(request: ChatCompletionRequest, options: AnthropicRequestOptions): AnthropicRequestPlan {
  const { system, messages } = convertToAnthropicMessages(request.messages);
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  const body: AnthropicRequest = {
    model: request.model,
    max_tokens: maxTokens ?? options.defaultMaxTokens,
    messages,
  };
  if (request.stop != null) {
    const stops = (typeof request.stop === 'string' ? [request.stop] : request.stop).filter((s) => s !== '');
    if (stops.length) body.stop_sequences = stops;
  }
  if (typeof request.user === 'string' && request.user) body.metadata = { user_id: request.user };
  Object.assign(body, convertToAnthropicTools(request));
  if (options.stream) body.stream = true;

  const format = request.response_format;
  const thinking = thinkingConflict(body, format?.type === 'json_schema')
    ? undefined
    : mapAnthropicThinking(request.reasoning_effort, { model: request.model, maxTokens, defaultMaxTokens: options.defaultMaxTokens });
  Object.assign(body, thinking ?? anthropicSampling(request, options.temperature));

  let json: AnthropicJsonMode | null = null;
  if (format?.type === 'json_object') {
    system.push({ type: 'text', text: JSON_OBJECT_INSTRUCTION });
    const last = messages.at(-1)!;
    // A client's own assistant prefill already steers the answer; add ours only after a user turn.
    if (last.role === 'user' && !thinking) {
      messages.push({ role: 'assistant', content: [{ type: 'text', text: '{' }] });
      json = { mode: 'prefill', prefix: '{' };
    }
  } else if (format?.type === 'json_schema') {
    const name = toolName(format.json_schema.name);
    const schema = format.json_schema.schema ?? { type: 'object' };
    // Tool inputs must be objects; other schemas are wrapped in a one-field object.
    const wrapped = schema.type !== 'object';
    body.tools = [
      ...(body.tools ?? []).filter((t) => t.name !== name),
      {
        name,
        description: format.json_schema.description ?? 'Give the answer in this exact structure.',
        input_schema: wrapped ? { type: 'object', properties: { value: schema }, required: ['value'] } : schema,
      },
    ];
    body.tool_choice = { type: 'tool', name };
    json = { mode: 'tool', name, wrapped };
  }
  if (system.length) body.system = system;
  return { body, json };
}

function toolName(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
  return clean || 'json_answer';
}

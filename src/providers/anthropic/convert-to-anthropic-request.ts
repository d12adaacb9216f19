import { invalidRequest } from '../../openai/api-error.ts';
import type { ChatCompletionRequest } from '../../openai/types.ts';
import { anthropicThinkingApi } from './anthropic-thinking-api.ts';
import { thinkingConflict } from './anthropic-thinking-conflict.ts';
import { claudeVersion } from './claude-version.ts';
import { anthropicSampling } from './anthropic-sampling.ts';
import type { AnthropicRequest } from './anthropic-wire.ts';
import { convertToAnthropicMessages } from './convert-to-anthropic-messages.ts';
import { convertToAnthropicTools } from './convert-to-anthropic-tools.ts';
import type { TemperaturePolicy } from './map-anthropic-temperature.ts';
import { mapAnthropicThinking } from './map-anthropic-thinking.ts';

// A whole OpenAI request → one Anthropic Messages request (n is the provider's business:
// Anthropic has no n). JSON output has no native switch here, so:
//  - json_object: ask in the system prompt and prefill the answer with `{` (not while
//    thinking: Anthropic refuses a prefill then, and the instruction alone must do; nor while
//    the client's tools may be called: text already begun rules out a call);
//  - json_schema: force a tool whose input schema is the schema; its input is the answer.
//    Beside tools the client lets the model call, the model must call one of them or the
//    answer tool (`any`), as OpenAI lets it call tools or answer; a client tool call the
//    client forces is what it gets, and the answer comes in a later turn.
// Anthropic refuses stop sequences that are only whitespace; OpenAI clients send "\n", which
// is a 400 naming `stop` here rather than a longer answer than the client asked for.
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
  /** The `anthropic-version` sent (providers.<id>.anthropic_version): newer versions take no sampling settings. */
  apiVersion?: string;
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
  refuseOutputsClaudeCannotGive(request);
  const { system, messages } = convertToAnthropicMessages(request.messages);
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  const body: AnthropicRequest = {
    model: request.model,
    max_tokens: maxTokens ?? options.defaultMaxTokens,
    messages,
  };
  const stops = stopSequences(request.stop);
  if (stops.length) body.stop_sequences = stops;
  // safety_identifier replaces OpenAI's deprecated `user`; both name the end user for abuse checks, as user_id does.
  const userId = nonEmpty(request.safety_identifier) ?? nonEmpty(request.user);
  if (userId) body.metadata = { user_id: userId };
  Object.assign(body, convertToAnthropicTools(request));
  const clientChoice = body.tool_choice;
  const toolsCallable = Boolean(body.tools?.length) && clientChoice?.type !== 'none';
  const forcesClientTool = toolsCallable && (clientChoice?.type === 'any' || clientChoice?.type === 'tool');
  if (options.stream) body.stream = true;

  const format = request.response_format;
  const api = anthropicThinkingApi(request.model);
  // A model that always thinks takes no forced tool: a JSON schema answer is asked for natively.
  const nativeJson = format?.type === 'json_schema' && !forcesClientTool && api.kind === 'adaptive' && api.default === 'always';
  const conflict = thinkingConflict(body, format?.type === 'json_schema' && !forcesClientTool && !nativeJson);
  const thinking = conflict
    ? undefined
    : mapAnthropicThinking(request.reasoning_effort, { model: request.model, maxTokens, defaultMaxTokens: options.defaultMaxTokens });
  Object.assign(body, thinking ?? anthropicSampling(request, options.temperature, options.apiVersion));
  // Claude 5 thinks unless told not to: what is sent "without thinking" says so.
  if (!thinking && api.kind === 'adaptive' && api.default === 'on' && (conflict || request.reasoning_effort === 'none')) {
    body.thinking = { type: 'disabled' };
  }

  let json: AnthropicJsonMode | null = null;
  if (format?.type === 'json_object') {
    system.push({ type: 'text', text: JSON_OBJECT_INSTRUCTION });
    const last = messages.at(-1)!;
    // A client's own assistant prefill already steers the answer; add ours only after a user
    // turn, and only for a model that takes one.
    if (last.role === 'user' && !thinking && !toolsCallable && takesPrefill(request.model)) {
      messages.push({ role: 'assistant', content: [{ type: 'text', text: '{' }] });
      json = { mode: 'prefill', prefix: '{' };
    }
  } else if (nativeJson && format?.type === 'json_schema') {
    // Structured output (output_config.format): the answer is the text, as the schema says.
    body.output_config = { ...body.output_config, format: { type: 'json_schema', schema: format.json_schema.schema ?? { type: 'object' } } };
  } else if (format?.type === 'json_schema' && !forcesClientTool) {
    const name = toolName(format.json_schema.name);
    const schema = format.json_schema.schema ?? { type: 'object' };
    // Tool inputs must be objects; other schemas are wrapped in a one-field object.
    const wrapped = schema.type !== 'object';
    body.tools = [
      ...(body.tools ?? []).filter((t) => t.name !== name),
      {
        name,
        description: format.json_schema.description ?? 'Give the answer in this exact structure.',
        input_schema: wrapped ? wrapSchema(schema) : schema,
      },
    ];
    body.tool_choice = toolsCallable
      ? { type: 'any', ...(clientChoice && 'disable_parallel_tool_use' in clientChoice ? { disable_parallel_tool_use: clientChoice.disable_parallel_tool_use } : {}) }
      : { type: 'tool', name };
    json = { mode: 'tool', name, wrapped };
  }
  if (system.length) body.system = system;
  return { body, json };
}

/**
 * A schema as the one field of an object. Its definitions stay at the root, where its `$ref`s
 * (`#/$defs/…`, a root that is only a `$ref` among them) point.
 */
function wrapSchema(schema: Record<string, unknown>): Record<string, unknown> {
  const { $defs, definitions, ...value } = schema;
  return { type: 'object', properties: { value }, required: ['value'], ...($defs ? { $defs } : {}), ...(definitions ? { definitions } : {}) };
}

/**
 * What a client would read as null where it expects a value (`choices[].logprobs.content`,
 * `message.audio.data`): Claude returns no log probabilities and speaks no audio, so asking for
 * either is a 400 naming it, as the local engine answers.
 */
function refuseOutputsClaudeCannotGive(request: ChatCompletionRequest): void {
  if (request.logprobs === true) {
    throw invalidRequest("Anthropic's models return no log probabilities; leave 'logprobs' out or false.", 'logprobs', 'unsupported_value');
  }
  const speaks = Array.isArray(request.modalities) && request.modalities.includes('audio');
  if (speaks || request.audio != null) {
    throw invalidRequest("Anthropic's models answer in text only; ask for the 'text' modality alone, without 'audio'.", speaks ? 'modalities' : 'audio', 'unsupported_value');
  }
}

function stopSequences(stop: ChatCompletionRequest['stop']): string[] {
  if (stop == null) return [];
  const stops = (typeof stop === 'string' ? [stop] : stop).filter((s) => s !== '');
  const blank = stops.find((s) => s.trim() === '');
  if (blank !== undefined) {
    throw invalidRequest(`Anthropic does not take a stop sequence that is only whitespace (${JSON.stringify(blank)})`, 'stop', 'unsupported_value');
  }
  return stops;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value ? value : undefined;
}

function toolName(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
  return clean || 'json_answer';
}

/**
 * Whether a model continues a final assistant turn. Claude 4.6 and later refuse one with a 400
 * (the SDK: "On models that don't support prefill, creating a message that ends with a partial
 * `assistant` response returns a 400 error"; Anthropic's migration guide names 4.6), as a family
 * newer than claude-version.ts knows is taken to; an Anthropic-compatible server's own model
 * keeps the prefill.
 */
function takesPrefill(model: string): boolean {
  const version = claudeVersion(model);
  return version === 'not-claude' || (typeof version === 'number' && version < 46);
}

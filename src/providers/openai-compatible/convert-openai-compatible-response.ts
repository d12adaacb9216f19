import type { ChatCompletion, ToolCall } from '../../openai/types.ts';
import { mapOpenAICompatibleFinishReason } from './map-openai-compatible-finish-reason.ts';

// An OpenAI-compatible server's non-streamed answer → the completion OpenAI would have sent.
// Servers leave out what OpenAI always sends (id, created, object, a choice's index, a
// message's content and refusal, a tool call's id and type), send it empty (TGI: `"id":""`),
// send `tool_calls: []` (vLLM) or words of their own for finish_reason (see
// map-openai-compatible-finish-reason.ts), content as a list of parts or reasoning under another
// name (see readText). Fields OpenAI does not have are left as they are.

export type ConvertedResponse = { completion: ChatCompletion } | { problem: string };

export interface Fresh {
  /** A new completion id, `chatcmpl-…`. */
  id(): string;
  /** A new tool call id, `call_…`. */
  callId(): string;
  /** Now, in Unix seconds. */
  now(): number;
}

export function convertOpenAICompatibleResponse(body: unknown, fresh: Fresh): ConvertedResponse {
  if (!body || typeof body !== 'object' || !Array.isArray((body as { choices?: unknown }).choices)) return { problem: 'sent a response that is not a chat completion' };
  const completion = body as ChatCompletion;
  // No choice is no answer: the SDKs read choices[0] (a stream without one is refused alike).
  if (completion.choices.length === 0) return { problem: 'sent a response without any choice' };
  // A choice without a message object would fail later as a 500; it is the upstream's fault.
  if (completion.choices.some((c) => !c || typeof c !== 'object' || !c.message || typeof c.message !== 'object')) {
    return { problem: 'sent a choice without a message' };
  }
  completion.id = nonEmptyString(completion.id) ?? fresh.id();
  completion.object = 'chat.completion';
  completion.created = unixSeconds(completion.created) ?? fresh.now();
  for (const [position, choice] of completion.choices.entries()) {
    if (!Number.isInteger(choice.index)) choice.index = position;
    const message = choice.message;
    message.role = 'assistant';
    readText(message);
    message.content ??= null;
    message.refusal ??= null;
    // vLLM answers `tool_calls: []`, which OpenAI never sends and refuses in a request: a
    // client that sends this message back in its next turn would get a 400.
    if (!Array.isArray(message.tool_calls) || message.tool_calls.length === 0) delete message.tool_calls;
    else message.tool_calls = message.tool_calls.map((call) => toolCall(call, fresh));
    // vLLM writes every optional field of its message, as null: OpenAI's schema (and typed
    // clients) take annotations only as a list and function_call only as an object.
    const loose = message as { annotations?: unknown; function_call?: unknown };
    if (loose.annotations !== undefined && !Array.isArray(loose.annotations)) delete loose.annotations;
    if (loose.function_call === null) delete loose.function_call;
    const finish = mapOpenAICompatibleFinishReason(choice.finish_reason);
    if (finish === 'failed') return { problem: `stopped before the answer was complete (finish_reason "${String(choice.finish_reason)}")` };
    // A server that names no reason finished all the same.
    choice.finish_reason = finish ?? (message.tool_calls ? 'tool_calls' : 'stop');
    choice.logprobs ??= null;
  }
  return { completion };
}

function toolCall(call: ToolCall, fresh: Fresh): ToolCall {
  const id = nonEmptyString(call.id) ?? fresh.callId();
  if (call.type !== undefined && call.type !== 'function') return { ...call, id }; // a custom tool's call
  const fn = (call.function ?? {}) as { name?: unknown; arguments?: unknown };
  return {
    ...call,
    id,
    type: 'function',
    function: { ...call.function, name: typeof fn.name === 'string' ? fn.name : '', arguments: argumentsText(fn.arguments) },
  } as ToolCall;
}

/**
 * A message's or a delta's text as OpenAI's clients read it, in place:
 * - content as a list of parts (Mistral's reasoning models: `thinking` parts, then `text` ones)
 *   is the text of its text parts (none: left out), the thinking reasoning_content; OpenAI's
 *   content is a string, which clients append;
 * - reasoning under `reasoning` (OpenRouter, Ollama, Groq, newer vLLM) is reasoning_content too,
 *   where Iris sends every provider's reasoning (and counts it); `reasoning` stays for its readers.
 */
export function readText(target: { content?: unknown; reasoning?: unknown; reasoning_content?: unknown }): void {
  if (Array.isArray(target.content)) {
    let text: string | undefined;
    let thinking = '';
    for (const part of target.content as Array<{ type?: unknown; text?: unknown; thinking?: unknown } | null>) {
      if (part?.type === 'text' && typeof part.text === 'string') text = (text ?? '') + part.text;
      else if (part?.type === 'thinking') thinking += partsText(part.thinking);
    }
    if (text === undefined) delete target.content;
    else target.content = text;
    if (thinking) target.reasoning_content = (typeof target.reasoning_content === 'string' ? target.reasoning_content : '') + thinking;
  }
  if (typeof target.reasoning === 'string' && typeof target.reasoning_content !== 'string') target.reasoning_content = target.reasoning;
}

/** A thinking part's text: a string, or text parts. */
function partsText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) return '';
  let text = '';
  for (const part of value as Array<{ text?: unknown } | null>) if (typeof part?.text === 'string') text += part.text;
  return text;
}

/** Arguments as OpenAI sends them, JSON text (some servers send the object itself). */
export function argumentsText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value == null) return '';
  return JSON.stringify(value);
}

export function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A Unix time in seconds, as OpenAI's `created` is: a positive integer (Azure's first chunk says 0, meaning none). */
export function unixSeconds(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

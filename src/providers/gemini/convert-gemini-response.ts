import { randomUUID } from 'node:crypto';
import type { ChatCompletion, Choice, ToolCall } from '../../openai/types.ts';
import { convertGeminiLogprobs } from './convert-gemini-logprobs.ts';
import { convertGeminiUsage } from './convert-gemini-usage.ts';
import type { GeminiCandidate, GeminiPart, GeminiResponse } from './gemini-wire.ts';
import { failedFunctionCall, mapGeminiFinishReason } from './map-gemini-finish-reason.ts';

// A Gemini GenerateContentResponse → an OpenAI chat.completion, one choice per candidate.
// A prompt blocked before any candidate is one content_filter choice.

export interface GeminiResponseContext {
  /** The model asked for, when the response has no modelVersion. */
  model: string;
  created?: number;
  /**
   * The client asked for parallel_tool_calls: false, which Gemini has no setting for: a choice
   * keeps its first call only, as OpenAI would have made just that one.
   */
  oneToolCall?: boolean;
}

export function convertGeminiResponse(res: GeminiResponse, context: GeminiResponseContext): ChatCompletion {
  const candidates = res.candidates ?? [];
  const choices: Choice[] = candidates.length
    ? candidates.map((c, i) => candidateChoice(c, c.index ?? i, context.oneToolCall === true))
    : [blockedChoice(res)];
  return {
    id: completionId(res.responseId),
    object: 'chat.completion',
    created: context.created ?? Math.floor(Date.now() / 1000),
    model: res.modelVersion ?? context.model,
    choices,
    // None sent: left out, so Iris estimates it rather than reporting zeros as counted.
    ...(res.usageMetadata ? { usage: convertGeminiUsage(res.usageMetadata) } : {}),
  };
}

function candidateChoice(candidate: GeminiCandidate, index: number, oneToolCall: boolean): Choice {
  const failed = failedFunctionCall(candidate.finishReason, candidate.finishMessage);
  if (failed) throw failed;
  const { text, reasoning, toolCalls: calls } = readParts(candidate.content?.parts ?? []);
  const toolCalls = oneToolCall ? calls.slice(0, 1) : calls;
  const finish = mapGeminiFinishReason(candidate.finishReason, toolCalls.length > 0);
  const choice: Choice = {
    index,
    message: { role: 'assistant', content: text || (toolCalls.length || finish === 'content_filter' ? null : ''), refusal: null },
    finish_reason: finish,
    logprobs: convertGeminiLogprobs(candidate.logprobsResult),
  };
  if (toolCalls.length) choice.message.tool_calls = toolCalls;
  if (reasoning) choice.message.reasoning_content = reasoning;
  return choice;
}

function blockedChoice(res: GeminiResponse): Choice {
  const reason = res.promptFeedback?.blockReason ?? 'OTHER';
  return {
    index: 0,
    message: { role: 'assistant', content: null, refusal: res.promptFeedback?.blockReasonMessage ?? `The prompt was blocked (${reason}).` },
    finish_reason: 'content_filter',
    logprobs: null,
  };
}

export function readParts(parts: GeminiPart[]): { text: string; reasoning: string; toolCalls: ToolCall[] } {
  let text = '';
  let reasoning = '';
  const toolCalls: ToolCall[] = [];
  for (const part of parts) {
    if (typeof part.text === 'string') {
      if (part.thought) reasoning += part.text;
      else text += part.text;
    } else if (part.functionCall) {
      toolCalls.push({
        id: part.functionCall.id || toolCallId(),
        type: 'function',
        function: { name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) },
        // Gemini 3 wants it back with the call (convert-to-gemini-contents.ts); Google's own
        // OpenAI-compatible endpoint hands it out here.
        ...(part.thoughtSignature ? { extra_content: { google: { thought_signature: part.thoughtSignature } } } : {}),
      });
    }
  }
  return { text, reasoning, toolCalls };
}

/** Gemini's function calls often carry no id; OpenAI clients need one to answer with. */
export function toolCallId(): string {
  return `call_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
}

export function completionId(responseId: string | undefined): string {
  return `chatcmpl-${responseId || randomUUID().replace(/-/g, '')}`;
}

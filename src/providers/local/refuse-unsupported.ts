import { invalidRequest } from '../../openai/api-error.ts';
import type { ChatCompletionRequest } from '../../openai/types.ts';

// What the engine cannot give, refused as OpenAI refuses what a model cannot do, rather than an
// answer its client is not written for.

/**
 * The engine cannot call tools. With tools it may answer in text (tool_choice auto or none, as
 * any model may), but not a request that demands a call (`required`, a named tool, allowed_tools
 * in `required` mode, a legacy named function_call).
 */
export function refuseForcedTool(request: ChatCompletionRequest): void {
  const choice = request.tool_choice;
  const forced =
    choice === 'required' ||
    (typeof choice === 'object' && choice !== null && (choice.type !== 'allowed_tools' || choice.allowed_tools?.mode === 'required'));
  if (forced) {
    throw invalidRequest(
      "The Image-Recognition engine cannot call tools, so it cannot honour this 'tool_choice'; send 'auto' or 'none' (it then answers in text), or leave 'tool_choice' out.",
      'tool_choice',
      'unsupported_value',
    );
  }
  const legacy = request.function_call;
  if (typeof legacy === 'object' && legacy !== null) {
    throw invalidRequest(
      "The Image-Recognition engine cannot call tools, so it cannot honour a named 'function_call'; send 'auto' or 'none', or leave it out.",
      'function_call',
      'unsupported_value',
    );
  }
}

/**
 * The engine composes its answer; it does not sample tokens, so it has no log probabilities to
 * give, and it speaks no audio. A client that asks for either would read null where it expects
 * them (`choices[].logprobs.content`, `message.audio.data`).
 */
export function refuseOutputsItCannotGive(request: ChatCompletionRequest): void {
  if (request.logprobs === true) {
    throw invalidRequest(
      "The Image-Recognition engine does not sample tokens, so it has no log probabilities to return; leave 'logprobs' out or false.",
      'logprobs',
      'unsupported_value',
    );
  }
  const modalities = request.modalities;
  const speaks = Array.isArray(modalities) && modalities.includes('audio');
  if (speaks || request.audio != null) {
    throw invalidRequest(
      "The Image-Recognition engine answers in text only; ask for the 'text' modality alone, without 'audio'.",
      speaks ? 'modalities' : 'audio',
      'unsupported_value',
    );
  }
}

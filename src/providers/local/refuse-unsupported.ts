import { invalidRequest } from '../../openai/api-error.ts';
import type { ChatCompletionRequest } from '../../openai/types.ts';

// The engine cannot call tools. With tools it may answer in text (tool_choice auto or none, as
// any model may), but a request that demands a call (`required`, a named tool, allowed_tools in
// `required` mode, a legacy named function_call) would get a reply its client is not written
// for: refused, as OpenAI refuses what a model cannot do.

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

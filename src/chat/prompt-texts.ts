import type { ChatCompletionRequest } from '../openai/types.ts';

// The texts of a chat prompt, in order: each message's text parts, name, refusal and tool-call
// names and arguments. Token counts (count-tokens.ts) and the tokenizer-free character
// estimate (usage.ts) walk the same texts.

export function forEachPromptText(request: ChatCompletionRequest, visit: (text: string) => void): void {
  for (const message of request.messages ?? []) {
    if (typeof message.content === 'string') visit(message.content);
    else if (Array.isArray(message.content)) {
      for (const part of message.content) {
        if (part.type === 'text') visit(part.text);
        else if (part.type === 'refusal') visit(part.refusal);
      }
    }
    if (message.name) visit(message.name);
    if (typeof message.refusal === 'string') visit(message.refusal);
    for (const call of message.tool_calls ?? []) {
      if (call.type === 'custom') {
        visit(call.custom.name);
        visit(call.custom.input);
      } else {
        visit(call.function.name);
        visit(call.function.arguments);
      }
    }
    if (message.function_call) {
      visit(message.function_call.name);
      visit(message.function_call.arguments);
    }
  }
}

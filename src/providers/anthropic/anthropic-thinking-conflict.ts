import type { AnthropicRequest } from './anthropic-wire.ts';

// What in a request Anthropic refuses to combine with thinking (a 400), and that the client
// relies on more than on reasoning_effort, a hint: a forced tool (tool_choice `required` or a
// named tool, and JSON schema answers, which Iris asks for as a forced tool); an answer the
// client prefilled; and a tool loop under way, whose last assistant turn Anthropic wants to
// start with the thinking block it produced, which OpenAI clients never send back. Such a
// request is sent without thinking, so it is answered as if no effort had been given.

/** Why thinking must stay off for this request, or undefined when it may be on. */
export function thinkingConflict(body: AnthropicRequest, forcesJsonTool: boolean): string | undefined {
  const choice = body.tool_choice?.type;
  if (forcesJsonTool || choice === 'any' || choice === 'tool') return 'a forced tool call';
  const last = body.messages.at(-1);
  if (last?.role === 'assistant') return 'a prefilled answer';
  const lastAssistant = body.messages.findLast((m) => m.role === 'assistant');
  if (lastAssistant?.content.some((block) => block.type === 'tool_use')) return 'a tool call without its thinking block';
  return undefined;
}

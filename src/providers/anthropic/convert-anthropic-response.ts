import type { ChatCompletion, FinishReason, ResponseMessage, ToolCall } from '../../openai/types.ts';
import type { AnthropicResponse, AnthropicToolUseBlock } from './anthropic-wire.ts';
import type { AnthropicJsonMode } from './convert-to-anthropic-request.ts';
import { convertAnthropicUsage } from './convert-anthropic-usage.ts';
import { mapAnthropicStopReason } from './map-anthropic-stop-reason.ts';

// An Anthropic Message → an OpenAI chat.completion with one choice.

export function convertAnthropicResponse(message: AnthropicResponse, json: AnthropicJsonMode | null, created = nowSeconds()): ChatCompletion {
  let text = '';
  let reasoning = '';
  const toolCalls: ToolCall[] = [];
  let finish: FinishReason = mapAnthropicStopReason(message.stop_reason);
  let answered = false;
  for (const block of message.content ?? []) {
    if (block.type === 'text') text += (block as { text: string }).text;
    else if (block.type === 'thinking') reasoning += (block as { thinking: string }).thinking;
    else if (block.type === 'tool_use') {
      const use = block as AnthropicToolUseBlock;
      if (json?.mode === 'tool' && use.name === json.name) {
        text += JSON.stringify(json.wrapped ? (use.input as { value?: unknown })?.value ?? null : use.input ?? {});
        answered = true;
      } else {
        toolCalls.push({ id: use.id, type: 'function', function: { name: use.name, arguments: JSON.stringify(use.input ?? {}) } });
      }
    }
  }
  // The answer tool is how the answer arrives, not a call the client must run; the client's
  // own tools (callable beside it) keep tool_calls.
  if (answered && finish === 'tool_calls' && toolCalls.length === 0) finish = 'stop';
  // The prefix Iris wrote for the model goes back in front of what it wrote after it; an answer
  // with nothing after it (refused, cut at once) stays empty, as its stream does.
  if (json?.mode === 'prefill' && text) text = json.prefix + text;
  // A refusal (Anthropic's classifiers stopping the answer) is content_filter, as OpenAI's
  // filtered answers are: what was written before it stays content, as it does in a stream,
  // which cannot take back what it has sent.
  const refused = message.stop_reason === 'refusal';
  const msg: ResponseMessage = { role: 'assistant', content: text || (toolCalls.length || refused ? null : ''), refusal: null };
  if (toolCalls.length) msg.tool_calls = toolCalls;
  if (reasoning) msg.reasoning_content = reasoning;
  return {
    id: `chatcmpl-${message.id}`,
    object: 'chat.completion',
    created,
    model: message.model,
    choices: [{ index: 0, message: msg, finish_reason: finish, logprobs: null }],
    usage: convertAnthropicUsage(message.usage),
  };
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

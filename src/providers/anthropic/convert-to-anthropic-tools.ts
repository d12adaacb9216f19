import { invalidRequest } from '../../openai/api-error.ts';
import type { ChatCompletionRequest } from '../../openai/types.ts';
import { allowedTools } from '../upstream/allowed-tools.ts';
import type { AnthropicTool, AnthropicToolChoice } from './anthropic-wire.ts';

// OpenAI `tools` / `tool_choice` / `parallel_tool_calls` → Anthropic `tools` / `tool_choice`.

export interface AnthropicTools {
  tools?: AnthropicTool[];
  tool_choice?: AnthropicToolChoice;
}

export function convertToAnthropicTools(request: ChatCompletionRequest): AnthropicTools {
  const out: AnthropicTools = {};
  const allowed = allowedTools(request);
  if (request.tools?.length) {
    out.tools = request.tools.flatMap((tool, i) => {
      if (tool.type !== 'function') throw invalidRequest(`Tool type "${String(tool.type)}" is not supported`, `tools[${i}].type`);
      // Anthropic has no allowed-tools choice: the tools not allowed are left out.
      if (allowed && !allowed.names.has(tool.function.name)) return [];
      return [{
        name: tool.function.name,
        ...(tool.function.description ? { description: tool.function.description } : {}),
        input_schema: inputSchema(tool.function.parameters),
      }];
    });
  }
  const choice = request.tool_choice;
  const noParallel = request.parallel_tool_calls === false && out.tools ? { disable_parallel_tool_use: true } : {};
  // Without tools, none is what happens anyway; Anthropic takes a tool_choice only beside tools.
  if (choice === 'none') {
    if (out.tools) out.tool_choice = { type: 'none' };
  } else if (choice === 'required' || allowed?.mode === 'required') out.tool_choice = { type: 'any', ...noParallel };
  else if (allowed) out.tool_choice = { type: 'auto', ...noParallel };
  else if (choice && typeof choice === 'object') {
    if (choice.type !== 'function') throw invalidRequest(`Anthropic does not take a tool_choice of type "${choice.type}"`, 'tool_choice.type');
    out.tool_choice = { type: 'tool', name: choice.function.name, ...noParallel };
  } else if (out.tools && (choice === 'auto' || request.parallel_tool_calls === false)) {
    out.tool_choice = { type: 'auto', ...noParallel };
  }
  if (out.tool_choice && out.tool_choice.type !== 'none' && !out.tools) {
    throw invalidRequest('tool_choice needs tools', 'tool_choice');
  }
  // OpenAI takes a history of tool calls with no tools offered now (a conversation summarised,
  // tools switched off); Anthropic refuses tool_use blocks in a request without tools. The
  // tools called earlier are declared, and none may be called.
  if (!request.tools?.length) {
    const called = calledToolNames(request);
    if (called.length) {
      out.tools = called.map((name) => ({ name, description: 'Called earlier in this conversation; not available now.', input_schema: { type: 'object' } }));
      out.tool_choice = { type: 'none' };
    }
  }
  return out;
}

/** The names of the tools the assistant called in the conversation, each once. */
function calledToolNames(request: ChatCompletionRequest): string[] {
  const names = new Set<string>();
  for (const message of request.messages) {
    if (message.role !== 'assistant' || !message.tool_calls) continue;
    for (const call of message.tool_calls) if (call.type === 'function') names.add(call.function.name);
  }
  return [...names];
}

/** Anthropic requires `type: "object"` on every input_schema; OpenAI takes `{}` for no parameters. */
function inputSchema(parameters: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!parameters) return { type: 'object', properties: {} };
  return 'type' in parameters ? parameters : { type: 'object', ...parameters };
}

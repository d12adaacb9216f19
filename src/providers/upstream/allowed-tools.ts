import { invalidRequest } from '../../openai/api-error.ts';
import type { ChatCompletionRequest } from '../../openai/types.ts';

// OpenAI's `tool_choice: {type: "allowed_tools"}` keeps the full `tools` list (for its prompt
// cache) and limits which of them the model may call. Upstreams without that notion get the
// limit as a shorter tool list.

export interface AllowedTools {
  mode: 'auto' | 'required';
  names: Set<string>;
}

/** The allowed names, or null when tool_choice is not allowed_tools; refuses names not in `tools`. */
export function allowedTools(request: ChatCompletionRequest): AllowedTools | null {
  const choice = request.tool_choice;
  if (!choice || typeof choice !== 'object' || choice.type !== 'allowed_tools') return null;
  const declared = new Set((request.tools ?? []).flatMap((tool) => (tool.type === 'function' ? [tool.function.name] : [])));
  const names = new Set<string>();
  if (choice.allowed_tools.tools.length === 0) throw invalidRequest('tool_choice.allowed_tools.tools must name at least one function', 'tool_choice.allowed_tools.tools');
  choice.allowed_tools.tools.forEach((entry, i) => {
    const at = `tool_choice.allowed_tools.tools[${i}]`;
    const name = toolName(entry);
    if (name === null) throw invalidRequest(`${at} must name a function: {"type": "function", "function": {"name": "..."}}`, at);
    if (!declared.has(name)) throw invalidRequest(`${at} names the function '${name}', which is not in tools`, at);
    names.add(name);
  });
  return { mode: choice.allowed_tools.mode, names };
}

// The Chat Completions form nests the name; the Responses API form has it at the top.
function toolName(entry: Record<string, unknown>): string | null {
  if (entry.type !== 'function') return null;
  const fn = entry.function as { name?: unknown } | undefined;
  const name = fn && typeof fn === 'object' ? fn.name : entry.name;
  return typeof name === 'string' ? name : null;
}

import { invalidRequest } from '../../openai/api-error.ts';
import type { ChatMessage, ToolCall } from '../../openai/types.ts';

// OpenAI messages → a system prompt apart and turns that alternate between user and assistant,
// the shape both Anthropic and Gemini want. system/developer text is gathered apart; a tool
// message is a user turn; consecutive same-role turns merge. Each upstream only says how a
// piece of text, an image, a tool call and a tool result look in its own wire format.

export interface TurnItems<Item> {
  text(text: string): Item;
  image(url: string, param: string): Item;
  /** `args` are the call's arguments, checked to be a JSON object. */
  toolCall(call: ToolCall, args: Record<string, unknown>, index: number): Item;
  /** `name` is the function an earlier assistant tool call with this id named, if any did. */
  toolResult(result: { id: string; name: string | undefined; text: string }, param: string): Item;
}

export interface Turn<Item> {
  role: 'user' | 'assistant';
  items: Item[];
}

export interface SplitConversation<Item> {
  /** The system/developer texts, in order, empty ones left out. */
  system: string[];
  turns: Turn<Item>[];
}

/** `upstream` names the provider in the error for a conversation that is all system prompt. */
export function splitConversation<Item>(messages: ChatMessage[], upstream: string, make: TurnItems<Item>): SplitConversation<Item> {
  const system: string[] = [];
  const turns: Turn<Item>[] = [];
  const toolNames = new Map<string, string>();
  const push = (role: Turn<Item>['role'], items: Item[]): void => {
    if (items.length === 0) return;
    const last = turns.at(-1);
    if (last && last.role === role) last.items.push(...items);
    else turns.push({ role, items: [...items] });
  };

  messages.forEach((message, i) => {
    const at = `messages[${i}]`;
    switch (message.role) {
      case 'system':
      case 'developer': {
        const text = textOnly(message.content, at);
        if (text) system.push(text);
        break;
      }
      case 'user':
        push('user', userItems(message.content, at, upstream, make));
        break;
      case 'assistant': {
        const items: Item[] = [];
        const text = textOnly(message.content, at, true);
        // Both upstreams reject empty text.
        if (text) items.push(make.text(text));
        // Deprecated or OpenAI-only forms: neither upstream has a way to say them.
        if (message.function_call != null) throw invalidRequest(`${upstream} does not take 'function_call'; use 'tool_calls'`, `${at}.function_call`);
        if (message.audio != null) throw invalidRequest(`${upstream} does not take earlier audio answers`, `${at}.audio`);
        message.tool_calls?.forEach((call, k) => {
          if (call.type !== 'function') throw invalidRequest(`${upstream} does not take tool calls of type "${call.type}"`, `${at}.tool_calls[${k}].type`);
          toolNames.set(call.id, call.function.name);
          items.push(make.toolCall(call, parseToolArguments(call.function.arguments, `${at}.tool_calls[${k}].function.arguments`), k));
        });
        push('assistant', items);
        break;
      }
      case 'tool': {
        const id = message.tool_call_id;
        if (!id) throw invalidRequest('A tool message needs tool_call_id', `${at}.tool_call_id`);
        const content = message.content;
        // The text is read only when the upstream asks for it, after its own checks of the id.
        const result = { id, name: toolNames.get(id), get text() { return textOnly(content, at); } };
        push('user', [make.toolResult(result, `${at}.tool_call_id`)]);
        break;
      }
      case 'function':
        throw invalidRequest(`${upstream} does not take 'function' messages; use 'tool' messages`, `${at}.role`);
      default:
        throw invalidRequest(`Unsupported role "${String(message.role)}"`, `${at}.role`);
    }
  });

  if (turns.length === 0) throw invalidRequest(`${upstream} needs at least one user or assistant message besides the system prompt`, 'messages');
  return { system, turns };
}

function userItems<Item>(content: ChatMessage['content'], at: string, upstream: string, make: TurnItems<Item>): Item[] {
  if (content == null) return [];
  if (typeof content === 'string') return content ? [make.text(content)] : [];
  const items: Item[] = [];
  content.forEach((part, j) => {
    const where = `${at}.content[${j}]`;
    if (part.type === 'text') {
      if (part.text) items.push(make.text(part.text));
    } else if (part.type === 'image_url') {
      items.push(make.image(part.image_url.url, `${where}.image_url.url`));
    } else {
      throw invalidRequest(`${upstream} does not take content parts of type "${part.type}"`, `${where}.type`);
    }
  });
  return items;
}

function parseToolArguments(text: string, param: string): Record<string, unknown> {
  if (!text || !text.trim()) return {};
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through to the error below
  }
  throw invalidRequest('Tool call arguments must be a JSON object', param);
}

/** The text of a content that may only hold text (and, for assistants, refusal) parts. */
function textOnly(content: ChatMessage['content'], at: string, allowRefusal = false): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return content
    .map((part, j) => {
      if (part.type === 'text') return part.text;
      if (part.type === 'refusal' && allowRefusal) return part.refusal;
      throw invalidRequest(`Content part type "${part.type}" is not allowed here`, `${at}.content[${j}].type`);
    })
    .join('\n');
}

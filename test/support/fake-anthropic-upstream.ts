import { sampleFor } from './sample-for-schema.ts';
import {
  startScriptedUpstream, type FakeReply as Reply, type LooseRequest, type ReplyDialect, type ScriptedUpstream,
} from './scripted-fake-upstream.ts';

// A fake Anthropic Messages API on loopback that speaks the real wire format: it checks the
// request the way Anthropic does (headers, required fields, alternating roles, non-empty
// text, image sources, what may not go with thinking, the sampling settings newer models
// refuse), records it, and answers with a scripted or a default reply, as one JSON body or as
// the named SSE events of a stream. Asked to think, it answers with a thinking block first.

export type RecordedRequest = LooseRequest;
export type FakeReply = Reply<SseEvent>;

export interface SseEvent {
  event: string;
  data: unknown;
}

export type FakeAnthropicUpstream = ScriptedUpstream<SseEvent>;

export const FAKE_ANTHROPIC_KEY = 'sk-ant-fake-key';
export const FAKE_ANTHROPIC_MODEL = 'claude-fake-1';

const requestId = () => `req_fake${Math.random().toString(36).slice(2, 10)}`;

const ANTHROPIC_DIALECT: ReplyDialect<SseEvent> = {
  jsonHeaders: () => ({ 'content-type': 'application/json', 'request-id': requestId() }),
  sseHeaders: () => ({ 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': requestId() }),
  frame: (e) => `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`,
};

export function startFakeAnthropic(options: { apiKey?: string } = {}): Promise<FakeAnthropicUpstream> {
  const apiKey = options.apiKey ?? FAKE_ANTHROPIC_KEY;
  return startScriptedUpstream(ANTHROPIC_DIALECT, (req) => defaultReply(req, apiKey));
}

// ---- wire builders (also used by tests to script replies) ----

export interface MessageSpec {
  text?: string;
  thinking?: string;
  toolUses?: Array<{ id?: string; name: string; input: unknown }>;
  stopReason?: string;
  stopSequence?: string | null;
  usage?: { input_tokens: number; output_tokens: number; cache_read_input_tokens?: number; cache_creation_input_tokens?: number };
  model?: string;
  id?: string;
}

export function anthropicMessage(spec: MessageSpec): any {
  const content: any[] = [];
  if (spec.thinking) content.push({ type: 'thinking', thinking: spec.thinking, signature: 'sig_fake' });
  if (spec.text !== undefined) content.push({ type: 'text', text: spec.text });
  spec.toolUses?.forEach((t, i) => content.push({ type: 'tool_use', id: t.id ?? `toolu_fake${i}`, name: t.name, input: t.input }));
  return {
    id: spec.id ?? 'msg_fake01',
    type: 'message',
    role: 'assistant',
    model: spec.model ?? FAKE_ANTHROPIC_MODEL,
    content,
    stop_reason: spec.stopReason ?? (spec.toolUses?.length ? 'tool_use' : 'end_turn'),
    stop_sequence: spec.stopSequence ?? null,
    usage: {
      input_tokens: spec.usage?.input_tokens ?? 10,
      output_tokens: spec.usage?.output_tokens ?? 5,
      cache_creation_input_tokens: spec.usage?.cache_creation_input_tokens ?? 0,
      cache_read_input_tokens: spec.usage?.cache_read_input_tokens ?? 0,
    },
  };
}

/** The events Anthropic streams for a Message: text cut into small deltas, pings between. */
export function anthropicStreamEvents(message: any): SseEvent[] {
  const events: SseEvent[] = [];
  const e = (event: string, data: Record<string, unknown>) => events.push({ event, data: { type: event, ...data } });
  e('message_start', {
    message: { ...message, content: [], stop_reason: null, stop_sequence: null, usage: { ...message.usage, output_tokens: 1 } },
  });
  events.push({ event: 'ping', data: { type: 'ping' } });
  message.content.forEach((block: any, index: number) => {
    if (block.type === 'text') {
      e('content_block_start', { index, content_block: { type: 'text', text: '' } });
      for (const piece of pieces(block.text, 6)) e('content_block_delta', { index, delta: { type: 'text_delta', text: piece } });
    } else if (block.type === 'thinking') {
      e('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } });
      for (const piece of pieces(block.thinking, 8)) e('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: piece } });
      e('content_block_delta', { index, delta: { type: 'signature_delta', signature: block.signature ?? 'sig' } });
    } else if (block.type === 'tool_use') {
      e('content_block_start', { index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
      e('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: '' } });
      for (const piece of pieces(JSON.stringify(block.input), 5)) e('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: piece } });
    }
    e('content_block_stop', { index });
  });
  e('message_delta', {
    delta: { stop_reason: message.stop_reason, stop_sequence: message.stop_sequence },
    usage: { output_tokens: message.usage.output_tokens },
  });
  e('message_stop', {});
  return events;
}

export function anthropicError(status: number, type: string, message: string, headers: Record<string, string> = {}): FakeReply {
  return { kind: 'json', status, body: { type: 'error', error: { type, message }, request_id: 'req_fakeerr' }, headers };
}

function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length ? out : [''];
}

// ---- the default reply: checks the request like Anthropic, then answers from it ----

function defaultReply(req: RecordedRequest, apiKey: string): FakeReply {
  if (req.method !== 'POST' || req.path !== '/v1/messages') return anthropicError(404, 'not_found_error', `Not found: ${req.method} ${req.path}`);
  if (req.headers['x-api-key'] !== apiKey) return anthropicError(401, 'authentication_error', 'invalid x-api-key');
  if (!req.headers['anthropic-version']) return anthropicError(400, 'invalid_request_error', 'anthropic-version: header is required');
  const problem = validate(req.body);
  if (problem) return anthropicError(400, 'invalid_request_error', problem);
  const message = answer(req.body);
  return req.body.stream ? { kind: 'sse', events: anthropicStreamEvents(message) } : { kind: 'json', body: message };
}

const ALLOWED_TOP_LEVEL = new Set([
  'model', 'max_tokens', 'messages', 'system', 'stop_sequences', 'temperature', 'top_p', 'top_k', 'stream',
  'metadata', 'tools', 'tool_choice', 'thinking', 'output_config', 'service_tier',
]);

function validate(body: any): string | null {
  if (!body || typeof body !== 'object') return 'body must be a JSON object';
  for (const key of Object.keys(body)) if (!ALLOWED_TOP_LEVEL.has(key)) return `${key}: Extra inputs are not permitted`;
  if (typeof body.model !== 'string') return 'model: Field required';
  if (!Number.isInteger(body.max_tokens)) return 'max_tokens: Field required';
  if (body.temperature !== undefined && (body.temperature < 0 || body.temperature > 1)) return 'temperature: Input should be less than or equal to 1';
  const deprecated = deprecatedSampling(body);
  if (deprecated) return `\`${deprecated}\` is deprecated for this model.`;
  if (oneOfTwo(body) && body.temperature !== undefined && body.top_p !== undefined) {
    return '`temperature` and `top_p` cannot both be specified for this model. Please use only one.';
  }
  if (Array.isArray(body.stop_sequences) && body.stop_sequences.some((s: unknown) => typeof s !== 'string' || s.trim() === '')) {
    return 'stop_sequences: each stop sequence must contain non-whitespace';
  }
  if (body.system !== undefined && !Array.isArray(body.system) && typeof body.system !== 'string') return 'system: Input should be a valid list';
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'messages: Field required';
  const toolIds = new Set<string>();
  for (let i = 0; i < body.messages.length; i++) {
    const m = body.messages[i];
    if (m.role !== 'user' && m.role !== 'assistant') return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    if (i > 0 && body.messages[i - 1].role === m.role) return `messages: roles must alternate between "user" and "assistant"`;
    const blocks = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
    if (!Array.isArray(blocks) || blocks.length === 0) return `messages.${i}: all messages must have non-empty content`;
    for (let j = 0; j < blocks.length; j++) {
      const b = blocks[j];
      const at = `messages.${i}.content.${j}`;
      if (b.type === 'text') {
        const prefill = i === body.messages.length - 1 && m.role === 'assistant';
        if (typeof b.text !== 'string' || (b.text === '' && !prefill)) return `${at}: text content blocks must be non-empty`;
        if (b.text.trim() === '' && b.text !== '') return `${at}: text content blocks must contain non-whitespace text`;
        if (prefill && j === blocks.length - 1 && b.text !== b.text.trimEnd()) return 'final assistant content cannot end with trailing whitespace';
      } else if (b.type === 'image') {
        if (m.role !== 'user') return `${at}: images are only allowed in user messages`;
        const s = b.source;
        if (s?.type === 'base64') {
          if (!['image/jpeg', 'image/png', 'image/gif', 'image/webp'].includes(s.media_type)) return `${at}.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`;
          if (typeof s.data !== 'string' || s.data.startsWith('data:') || !/^[A-Za-z0-9+/]+=*$/.test(s.data)) return `${at}.source.base64.data: invalid base64`;
        } else if (s?.type === 'url') {
          if (!/^https?:\/\//.test(s.url)) return `${at}.source.url.url: invalid url`;
        } else return `${at}.source: invalid image source`;
      } else if (b.type === 'tool_use') {
        if (m.role !== 'assistant') return `${at}: tool_use blocks are only allowed in assistant messages`;
        if (!b.id || !b.name || typeof b.input !== 'object' || b.input === null) return `${at}: tool_use needs id, name and an object input`;
        if (!/^[a-zA-Z0-9_-]+$/.test(b.id)) return `${at}.id: String should match pattern '^[a-zA-Z0-9_-]+$'`;
        toolIds.add(b.id);
      } else if (b.type === 'tool_result') {
        if (m.role !== 'user') return `${at}: tool_result blocks are only allowed in user messages`;
        if (!toolIds.has(b.tool_use_id)) return `${at}: unexpected tool_use_id found in tool_result blocks: ${b.tool_use_id}`;
      } else return `${at}.type: unknown block type ${b.type}`;
    }
  }
  // Claude 4.6 and later continue no final assistant turn (the SDK's MessageCreateParams doc:
  // "On models that don't support prefill … returns a 400 error"; the words are the API's).
  if (claudeVersion(body.model) >= 46 && body.messages.at(-1).role === 'assistant') {
    return 'This model does not support assistant message prefill. The conversation must end with a user message.';
  }
  // Anthropic's words (anthropics/anthropic-sdk-python#494): a history of calls needs tools declared.
  const toolBlocks = body.messages.some((m: any) => Array.isArray(m.content) && m.content.some((b: any) => b.type === 'tool_use' || b.type === 'tool_result'));
  if (toolBlocks && !body.tools?.length) return 'Requests which include `tool_use` or `tool_result` blocks must define tools.';
  if (body.tool_choice?.type === 'tool' && !body.tools?.some((t: any) => t.name === body.tool_choice.name)) {
    return `tool_choice: tool ${body.tool_choice.name} not found in tools`;
  }
  return validateThinking(body);
}

/**
 * An opus/sonnet/haiku id's version as 10 × major + minor (claude-opus-4-6 → 46), else 0. Read
 * from the id on its own here, not with Iris's parser, so that a mistake there cannot hide itself.
 */
function claudeVersion(model: string): number {
  const match = /claude-(?:opus|sonnet|haiku)-(\d+)(?:-(\d)(?!\d))?/.exec(model);
  return match ? Number(match[1]) * 10 + Number(match[2] ?? 0) : 0;
}

/**
 * Models released after Claude Opus 4.6 take only the default temperature (1), a top_p of at
 * least 0.99 and no top_k (wire-formats.md §2e).
 */
function deprecatedSampling(body: any): string | null {
  if (claudeVersion(body.model) < 47) return null;
  if (body.temperature !== undefined && body.temperature !== 1) return 'temperature';
  if (body.top_p !== undefined && body.top_p < 0.99) return 'top_p';
  if (body.top_k !== undefined) return 'top_k';
  return null;
}

/** Claude 4.1 to 4.6 take temperature or top_p, not both. */
function oneOfTwo(body: any): boolean {
  const version = claudeVersion(body.model);
  return version >= 41 && version < 47;
}

const EFFORTS = ['low', 'medium', 'high', 'xhigh', 'max'];
const DOCS = 'Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking';

/** Thinking's own fields, and what Anthropic refuses beside it. */
function validateThinking(body: any): string | null {
  const effort = body.output_config?.effort;
  if (effort !== undefined && !EFFORTS.includes(effort)) return `output_config.effort: Input should be ${EFFORTS.map((e) => `'${e}'`).join(', ')}`;
  const thinking = body.thinking;
  if (thinking === undefined || thinking.type === 'disabled') return null;
  if (thinking.type === 'enabled') {
    if (!Number.isInteger(thinking.budget_tokens)) return 'thinking.enabled.budget_tokens: Field required';
    if (thinking.budget_tokens < 1024) return 'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024';
    if (thinking.budget_tokens >= body.max_tokens) return `\`max_tokens\` must be greater than \`thinking.budget_tokens\`. ${DOCS}`;
  } else if (thinking.type === 'adaptive') {
    if (thinking.display !== undefined && !['summarized', 'omitted'].includes(thinking.display)) return "thinking.adaptive.display: Input should be 'summarized' or 'omitted'";
  } else {
    return `thinking: Input tag '${thinking.type}' found using 'type' does not match any of the expected tags: 'adaptive', 'disabled', 'enabled'`;
  }
  if (body.temperature !== undefined && body.temperature !== 1) return `\`temperature\` may only be set to 1 when thinking is enabled. ${DOCS}`;
  if (body.top_k !== undefined) return `\`top_k\` is not supported when thinking is enabled. ${DOCS}`;
  if (body.top_p !== undefined && body.top_p < 0.95) return `\`top_p\` must be greater than or equal to 0.95 or unset when thinking is enabled. ${DOCS}`;
  if (body.tool_choice?.type === 'any' || body.tool_choice?.type === 'tool') return `Thinking may not be enabled when tool_choice forces tool use. ${DOCS}`;
  const messages: any[] = body.messages;
  if (messages.at(-1).role === 'assistant') return 'Assistant message prefill is not supported when thinking is enabled. The conversation must end with a user message.';
  const i = messages.findLastIndex((m) => m.role === 'assistant');
  const first = i >= 0 && Array.isArray(messages[i].content) ? messages[i].content[0] : undefined;
  if (i >= 0 && messages[i].content.some?.((b: any) => b.type === 'tool_use')) {
    return `messages.${i}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${first?.type}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable \`thinking\`. ${DOCS}`;
  }
  return null;
}

/** A reply built from what was asked: counts images, calls tools, keeps to max_tokens and stops. */
function answer(body: any): any {
  const messages: any[] = body.messages;
  const blocks = messages.flatMap((m) => (typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content));
  const images = blocks.filter((b) => b.type === 'image').length;
  const textChars = blocks.filter((b) => b.type === 'text').reduce((n, b) => n + b.text.length, 0)
    + (Array.isArray(body.system) ? body.system.reduce((n: number, b: any) => n + b.text.length, 0) : String(body.system ?? '').length);
  const usage = { input_tokens: Math.ceil(textChars / 4) + images * 85, output_tokens: 0 };
  const last = messages.at(-1);
  const lastResult = last.role === 'user' ? last.content.findLast?.((b: any) => b.type === 'tool_result') : undefined;
  const forced = body.tool_choice?.type === 'tool' ? body.tools.find((t: any) => t.name === body.tool_choice.name) : undefined;
  const wantsTool = !lastResult && body.tools?.length && body.tool_choice?.type !== 'none';
  // Thinking shows unless adaptive thinking was asked to leave it out; its words are output tokens.
  const thinks = body.thinking?.type === 'enabled' || body.thinking?.type === 'adaptive';
  const thinking = thinks && body.thinking.display !== 'omitted' ? `I am asked about ${images} image${images === 1 ? '' : 's'}; let me look closely first.` : undefined;
  const thinkingTokens = thinking ? thinking.split(/(?<= )/).length : 0;

  if (forced || (wantsTool && body.tool_choice?.type === 'any') || (wantsTool && mentionsTool(blocks, body.tools))) {
    const tool = forced ?? body.tools[0];
    usage.output_tokens = 12 + thinkingTokens;
    return anthropicMessage({ thinking, toolUses: [{ id: 'toolu_fake01', name: tool.name, input: sampleFor(tool.input_schema) }], usage });
  }

  let text: string;
  let stopReason = 'end_turn';
  let stopSequence: string | null = null;
  const system = typeof body.system === 'string' ? body.system : (body.system ?? []).map((b: any) => b.text).join('\n');
  if (last.role === 'assistant' && last.content.at(-1)?.text === '{') {
    text = `"images": ${images}, "answer": "fake"}`;
  } else if (/\bJSON object\b/.test(system)) {
    // Asked in the system prompt alone (no prefill), as a model follows it.
    text = `{"images": ${images}, "answer": "fake"}`;
  } else if (lastResult) {
    const result = typeof lastResult.content === 'string' ? lastResult.content : (lastResult.content ?? []).map((b: any) => b.text).join('');
    text = `The tool said: ${result}`;
  } else {
    text = `I see ${images} image${images === 1 ? '' : 's'} in ${messages.length} message${messages.length === 1 ? '' : 's'}. STOP here, then more words follow.`;
  }
  for (const stop of body.stop_sequences ?? []) {
    const at = text.indexOf(stop);
    if (at >= 0) {
      text = text.slice(0, at);
      stopReason = 'stop_sequence';
      stopSequence = stop;
    }
  }
  // One output token per word, so max_tokens cuts visibly.
  const words = text.split(/(?<= )/);
  if (words.length > body.max_tokens) {
    text = words.slice(0, body.max_tokens).join('');
    stopReason = 'max_tokens';
    stopSequence = null;
  }
  usage.output_tokens = text.split(/(?<= )/).length + thinkingTokens;
  return anthropicMessage({ thinking, text, stopReason, stopSequence, usage });
}

function mentionsTool(blocks: any[], tools: any[]): boolean {
  const text = blocks.filter((b) => b.type === 'text').map((b) => b.text).join(' ');
  return tools.some((t) => text.includes(t.name));
}

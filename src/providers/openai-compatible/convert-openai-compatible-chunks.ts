import type { ChatCompletionChunk, ChunkChoice, ToolCallDelta, Usage } from '../../openai/types.ts';
import { argumentsText, nonEmptyString, readText, unixSeconds, type Fresh } from './convert-openai-compatible-response.ts';
import { mapOpenAICompatibleFinishReason } from './map-openai-compatible-finish-reason.ts';

// An OpenAI-compatible server's stream chunks → the chunks OpenAI would have sent, one at a
// time (it keeps what it must remember between chunks). What servers do differently:
// - leave out id, created, object (Google's /v1beta/openai) or send `"id":""` (TGI): every
//   chunk gets the first chunk's id and created, or fresh ones, as OpenAI's all share them;
// - leave out a choice's index, its delta or its finish_reason, or repeat the role on every
//   delta (TGI): OpenAI sends the role once, in a choice's first delta;
// - tool-call deltas without an index (Google), with the id, type and name repeated on every
//   delta (vLLM, MiniMax on NVIDIA NIM: clients that append names get "readread"), with a new
//   call under an index already used (proxies of Gemini), without an id, or with arguments as
//   an object: OpenAI's first delta of a call has index, id, type and name, the next ones only
//   index and arguments;
// - content as a list of parts, reasoning under `reasoning` (readText);
// - usage in the last chunk's `x_groq` (Groq), beside Groq's timings;
// - finish_reason words of their own (map-openai-compatible-finish-reason.ts), or none at all
//   before `[DONE]`: closing() then ends those choices as OpenAI would have;
// - a choice's first delta with content and its logprobs (Ollama): OpenAI's first delta is the
//   role alone, and the SDK's stream helper takes a choice's first chunk as its snapshot, counting
//   logprobs there twice; takeLead() gives the role-only chunk to send before it.

interface CallState {
  id: string;
  named: boolean;
}

interface ChoiceState {
  finished: boolean;
  calls: Map<number, CallState>;
  /** The index of the call the last tool-call delta was for. */
  current: number;
}

type RawToolCall = Omit<ToolCallDelta, 'index'> & { index?: unknown; function?: { name?: unknown; arguments?: unknown } };

export class OpenAICompatibleChunks {
  /** Set when a choice stopped for a reason that means its answer is incomplete ("abort"). */
  failure: string | null = null;
  private head: { id: string; created: number; model: string } | null = null;
  private readonly choices = new Map<number, ChoiceState>();
  private readonly fresh: Fresh;
  /** Role-only openings of choices whose first delta came with logprobs (see takeLead). */
  private lead: ChunkChoice[] = [];

  constructor(fresh: Fresh) {
    this.fresh = fresh;
  }

  /** True once some choice has begun. */
  get begun(): boolean {
    return this.choices.size > 0;
  }

  /** True when choices have begun and every one has said why it stopped. */
  get complete(): boolean {
    return this.begun && [...this.choices.values()].every((choice) => choice.finished);
  }

  /** One upstream chunk (a parsed JSON object that is not an error) as OpenAI's. */
  convert(raw: object): ChatCompletionChunk {
    const chunk = raw as ChatCompletionChunk;
    this.head ??= { id: nonEmptyString(chunk.id) ?? this.fresh.id(), created: unixSeconds(chunk.created) ?? this.fresh.now(), model: '' };
    if (typeof chunk.model === 'string') this.head.model = chunk.model;
    chunk.id = this.head.id;
    chunk.object = 'chat.completion.chunk';
    chunk.created = this.head.created;
    chunk.model = this.head.model;
    if (chunk.usage == null && (raw as { x_groq?: unknown }).x_groq) groqUsage(chunk, (raw as { x_groq: { usage?: unknown } }).x_groq);
    if (!Array.isArray(chunk.choices)) chunk.choices = [];
    // In place: a new array only in the rare chunk that loses a choice (this runs per token).
    const choices = chunk.choices;
    let kept = 0;
    for (let position = 0; position < choices.length; position++) {
      const choice = choices[position];
      if (choice && typeof choice === 'object' && this.convertChoice(choice, position)) choices[kept++] = choice;
    }
    choices.length = kept;
    return chunk;
  }

  /** The chunk to send before the one convert() just returned, if any: role-only openings. */
  takeLead(): ChatCompletionChunk | null {
    if (this.lead.length === 0 || !this.head) return null;
    const choices = this.lead;
    this.lead = [];
    return { id: this.head.id, object: 'chat.completion.chunk', created: this.head.created, model: this.head.model, choices };
  }

  /** At `[DONE]`: a chunk that ends the choices the upstream left without a finish_reason, if any. */
  closing(): ChatCompletionChunk[] {
    const open = [...this.choices].filter(([, state]) => !state.finished);
    if (open.length === 0 || !this.head) return [];
    for (const [, state] of open) state.finished = true;
    const choices: ChunkChoice[] = open.map(([index, state]) => ({ index, delta: {}, finish_reason: state.calls.size > 0 ? 'tool_calls' : 'stop' }));
    return [{ id: this.head.id, object: 'chat.completion.chunk', created: this.head.created, model: this.head.model, choices }];
  }

  /** False for a choice to leave out: an empty delta after the choice's finish (OpenRouter's usage chunk has one). */
  private convertChoice(choice: ChunkChoice, position: number): boolean {
    if (!Number.isInteger(choice.index)) choice.index = position;
    let state = this.choices.get(choice.index);
    const first = state === undefined;
    if (state?.finished && choice.finish_reason == null && isEmptyDelta(choice.delta)) return false;
    if (state === undefined) {
      state = { finished: false, calls: new Map(), current: -1 };
      this.choices.set(choice.index, state);
    }
    if (!choice.delta || typeof choice.delta !== 'object') choice.delta = {};
    const delta = choice.delta;
    if (first && hasLogprobs(choice)) {
      this.lead.push({ index: choice.index, delta: { role: 'assistant', content: '' }, finish_reason: null });
      delete delta.role;
    } else if (first) delta.role = 'assistant';
    else delete delta.role;
    readText(delta);
    // `tool_calls: []` (vLLM) or null: OpenAI sends none, and the SDK's stream helper reads
    // whatever is there as calls.
    if (!Array.isArray(delta.tool_calls) || delta.tool_calls.length === 0) delete delta.tool_calls;
    else delta.tool_calls = (delta.tool_calls as RawToolCall[]).map((call) => this.toolCallDelta(state, call));
    const finish = mapOpenAICompatibleFinishReason(choice.finish_reason);
    if (finish === 'failed') this.failure ??= String(choice.finish_reason);
    choice.finish_reason = finish === 'failed' ? null : finish;
    if (choice.finish_reason !== null) state.finished = true;
    return true;
  }

  private toolCallDelta(state: ChoiceState, raw: RawToolCall): ToolCallDelta {
    const { index: rawIndex, id: rawId, type: _type, function: fn, ...extra } = raw;
    const id = nonEmptyString(rawId);
    let index: number;
    if (typeof rawIndex === 'number' && Number.isInteger(rawIndex) && rawIndex >= 0) {
      index = rawIndex;
      // Another call's id under an index already taken: a new call (never OpenAI's way, but
      // some proxies number every call 0).
      const taken = state.calls.get(index);
      if (taken && id !== undefined && id !== taken.id) index = this.indexOf(state, id);
    } else if (id !== undefined) {
      index = this.indexOf(state, id);
    } else {
      index = state.current >= 0 ? state.current : 0;
    }
    state.current = index;

    const out: ToolCallDelta = { ...extra, index };
    let call = state.calls.get(index);
    const opening = call === undefined;
    if (call === undefined) {
      call = { id: id ?? this.fresh.callId(), named: false };
      state.calls.set(index, call);
      out.id = call.id;
      out.type = 'function';
    }
    // A custom tool's call streams its input under `custom`: it goes on as sent, numbered.
    if (typeof raw.type === 'string' && raw.type !== 'function') return { ...raw, index, ...(opening ? { id: call.id } : {}) } as ToolCallDelta;
    const name = nonEmptyString(fn?.name);
    const args = argumentsText(fn?.arguments);
    const outFn: { name?: string; arguments?: string } = {};
    if (name !== undefined && !call.named) {
      outFn.name = name;
      call.named = true;
    }
    if (opening || args !== '') outFn.arguments = args;
    if (Object.keys(outFn).length > 0) out.function = outFn;
    return out;
  }

  /** The index of the call with this id, or the next free one. */
  private indexOf(state: ChoiceState, id: string): number {
    for (const [index, call] of state.calls) if (call.id === id) return index;
    return state.calls.size === 0 ? 0 : Math.max(...state.calls.keys()) + 1;
  }
}

/** Groq's usage, its token counts only (not its queue and compute times). */
function groqUsage(chunk: ChatCompletionChunk, groq: { usage?: unknown }): void {
  const usage = groq.usage as Usage | null | undefined;
  if (!usage || typeof usage !== 'object' || typeof usage.prompt_tokens !== 'number') return;
  const { prompt_tokens, completion_tokens, total_tokens, prompt_tokens_details, completion_tokens_details } = usage;
  chunk.usage = { prompt_tokens, completion_tokens, total_tokens, ...(prompt_tokens_details ? { prompt_tokens_details } : {}), ...(completion_tokens_details ? { completion_tokens_details } : {}) };
}

function isEmptyDelta(delta: unknown): boolean {
  if (!delta || typeof delta !== 'object') return true;
  const { content, refusal, tool_calls: calls } = delta as { content?: unknown; refusal?: unknown; tool_calls?: unknown };
  return !content && !refusal && !(Array.isArray(calls) && calls.length > 0);
}

function hasLogprobs(choice: ChunkChoice): boolean {
  const logprobs = choice.logprobs as { content?: unknown; refusal?: unknown } | null | undefined;
  return (Array.isArray(logprobs?.content) && logprobs.content.length > 0) || (Array.isArray(logprobs?.refusal) && logprobs.refusal.length > 0);
}

import type { ProviderConfig } from '../../config/providers-config.ts';
import { ApiError } from '../../openai/api-error.ts';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '../../openai/types.ts';
import type { CallContext, ImageLimits, Provider } from '../provider.ts';
import { createUpstreamClient, type UpstreamCall, type UpstreamClient } from '../upstream/upstream-client.ts';
import { mapOpenAIUpstreamError, readErrorBody } from './map-openai-upstream-error.ts';

// Any server that speaks OpenAI's Chat Completions: OpenAI, vLLM, Ollama, llama.cpp,
// LM Studio, OpenRouter. The request is already OpenAI-shaped, so it goes through as is,
// with the upstream's model id and a request for usage in streams.

type OpenAIProviderConfig = Extract<ProviderConfig, { type: 'openai' }>;

const DEFAULT_LIMITS: ImageLimits = {
  acceptsUrls: true,
  formats: ['jpeg', 'png', 'webp', 'gif'],
  maxBytes: 20_000_000,
  maxImages: 500,
  multiFrame: false,
};

export class OpenAICompatibleProvider implements Provider {
  readonly id: string;
  readonly type = 'openai' as const;
  readonly imageLimits: ImageLimits;
  readonly fetchUrls: 'upstream' | 'iris';
  readonly writesVerbatim = true;
  private readonly client: UpstreamClient;
  private readonly headers: Record<string, string>;

  constructor(id: string, config: OpenAIProviderConfig) {
    this.id = id;
    this.client = createUpstreamClient({
      baseUrl: config.base_url,
      timeoutMs: config.timeout_ms,
      label: `upstream provider '${id}'`,
      connections: 256,
    });
    this.headers = { ...config.headers };
    if (config.api_key) this.headers.authorization = `Bearer ${config.api_key}`;
    const limits = config.image_limits ?? {};
    this.imageLimits = {
      ...DEFAULT_LIMITS,
      maxBytes: limits.max_bytes ?? DEFAULT_LIMITS.maxBytes,
      maxPixels: limits.max_pixels,
      maxEdge: limits.max_edge,
      maxImages: limits.max_images ?? DEFAULT_LIMITS.maxImages,
      formats: limits.formats ?? DEFAULT_LIMITS.formats,
    };
    // Secure by default: Iris fetches URLs through its guarded fetcher unless told otherwise,
    // so an upstream inside the network is never made to fetch what a client names.
    this.fetchUrls = config.fetch_urls ?? 'iris';
  }

  async complete(request: ChatCompletionRequest, ctx: CallContext): Promise<ChatCompletion> {
    const { status, headers, text } = await this.client.postForText(this.call({ ...request, stream: false, stream_options: undefined }, ctx));
    if (status >= 300) throw mapOpenAIUpstreamError(this.id, status, text, headers);
    return this.parseCompletion(text);
  }

  async *stream(request: ChatCompletionRequest, ctx: CallContext): AsyncGenerator<ChatCompletionChunk> {
    // Ask for usage always: some servers omit it unless asked, and Iris meters every request.
    const answer = await this.client.postForEvents(this.call({ ...request, stream: true, stream_options: { ...request.stream_options, include_usage: true } }, ctx));
    if (!('events' in answer)) {
      if (answer.status >= 300) throw mapOpenAIUpstreamError(this.id, answer.status, answer.text, answer.headers);
      // A server that ignored `stream` and answered with one JSON body: replay it as chunks.
      yield* completionToChunks(this.parseCompletion(answer.text));
      return;
    }
    let finished = false;
    let sawChoice = false;
    // Choice indexes whose first delta has gone by: some servers leave its role out, which
    // OpenAI always sends and the SDK's stream helper requires.
    const started = new Set<number>();
    for await (const event of answer.events) {
      if (event.data === '[DONE]') {
        finished = sawChoice; // `[DONE]` alone, with no answer before it, is not a complete stream
        break;
      }
      const chunk = parseJson(event.data) as (ChatCompletionChunk & { error?: unknown }) | undefined;
      if (!chunk || typeof chunk !== 'object') throw this.badUpstream('sent a malformed stream event');
      if (chunk.error || event.event === 'error') {
        throw new ApiError(502, `The upstream provider '${this.id}' failed mid-stream: ${readErrorBody(chunk).message ?? 'unknown error'}`, {
          type: 'upstream_error',
          code: 'upstream_error',
        });
      }
      chunk.choices ??= [];
      for (const choice of chunk.choices) {
        sawChoice = true;
        if (choice.finish_reason) finished = true;
        if (choice.delta?.tool_calls?.length === 0) delete choice.delta.tool_calls; // see parseCompletion
        if (started.has(choice.index)) continue;
        started.add(choice.index);
        if (choice.delta) choice.delta.role ??= 'assistant';
      }
      yield chunk;
    }
    if (!finished && !ctx.signal.aborted) throw this.badUpstream('ended the stream before it was complete');
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private call(body: ChatCompletionRequest, ctx: CallContext): UpstreamCall {
    return { path: '/chat/completions', headers: { ...this.headers, 'x-request-id': ctx.requestId }, body, verbatim: ctx.verbatim, signal: ctx.signal };
  }

  private parseCompletion(text: string): ChatCompletion {
    const body = parseJson(text) as ChatCompletion | undefined;
    if (!body || typeof body !== 'object' || !Array.isArray(body.choices)) throw this.badUpstream('sent a response that is not a chat completion');
    // A choice without a message object would fail later as a 500; it is the upstream's fault.
    if (body.choices.some((c) => !c || typeof c.message !== 'object' || c.message === null)) {
      throw this.badUpstream('sent a choice without a message');
    }
    for (const choice of body.choices) {
      choice.message.refusal ??= null;
      // vLLM answers `tool_calls: []`, which OpenAI never sends and refuses in a request: a
      // client that sends this message back in its next turn would get a 400.
      if (choice.message.tool_calls?.length === 0) delete choice.message.tool_calls;
      choice.logprobs ??= null;
    }
    body.object = 'chat.completion';
    return body;
  }

  private badUpstream(what: string): ApiError {
    return new ApiError(502, `The upstream provider '${this.id}' ${what}.`, { type: 'upstream_error', code: 'upstream_error' });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** One completion as the chunks a stream of it would have been. */
export function* completionToChunks(completion: ChatCompletion): Generator<ChatCompletionChunk> {
  const base = { id: completion.id, object: 'chat.completion.chunk' as const, created: completion.created, model: completion.model, system_fingerprint: completion.system_fingerprint };
  for (const choice of completion.choices) {
    const { content, tool_calls } = choice.message;
    yield { ...base, choices: [{ index: choice.index, delta: { role: 'assistant', content: content ?? '' }, finish_reason: null }] };
    if (tool_calls?.length) {
      yield {
        ...base,
        choices: [{ index: choice.index, delta: { tool_calls: tool_calls.map((call, index) => ({ index, ...call })) }, finish_reason: null }],
      };
    }
    yield { ...base, choices: [{ index: choice.index, delta: {}, finish_reason: choice.finish_reason ?? 'stop' }] };
  }
  if (completion.usage) yield { ...base, choices: [], usage: completion.usage };
}

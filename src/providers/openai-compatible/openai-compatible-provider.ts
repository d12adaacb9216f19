import { randomBytes } from 'node:crypto';
import type { EventSourceMessage } from 'eventsource-parser';
import type { ProviderConfig } from '../../config/providers-config.ts';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, ChunkDelta } from '../../openai/types.ts';
import type { CallContext, ImageLimits, Provider } from '../provider.ts';
import { attributeUpstreamError } from '../upstream/attribute-upstream-error.ts';
import { createUpstreamClient, type UpstreamCall, type UpstreamClient } from '../upstream/upstream-client.ts';
import { OpenAICompatibleChunks } from './convert-openai-compatible-chunks.ts';
import { convertOpenAICompatibleResponse, type Fresh } from './convert-openai-compatible-response.ts';
import { withMaxTokensField, type MaxTokensField } from './max-tokens-field.ts';
import { errorInAnswer, mapOpenAIStreamError, mapOpenAIUpstreamError, upstreamBadResponse } from './map-openai-upstream-error.ts';
import { providerSecrets, SecretRedactor } from '../../telemetry/secret-redactor.ts';

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
  /** The credentials this provider presents, masked in error texts before they are cut. */
  private readonly secrets: SecretRedactor;
  private readonly headers: Record<string, string>;
  private readonly maxTokensField: MaxTokensField | undefined;
  /** Cleared for good once the upstream refuses stream_options (servers that reject fields they do not know). */
  private streamOptions = true;

  constructor(id: string, config: OpenAIProviderConfig) {
    this.id = id;
    this.secrets = new SecretRedactor(providerSecrets(config));
    this.client = createUpstreamClient({
      baseUrl: config.base_url,
      timeoutMs: config.timeout_ms,
      label: `upstream provider '${id}'`,
      connections: config.max_connections,
      connectionsSetting: `providers.${id}.max_connections`,
      secrets: this.secrets,
    });
    this.headers = { ...config.headers };
    this.maxTokensField = config.max_tokens_field;
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
    const answer = await this.postStream(request, ctx);
    if (!('events' in answer)) {
      if (answer.status >= 300) throw mapOpenAIUpstreamError(this.id, answer.status, answer.text, answer.headers);
      // A server that ignored `stream` and answered with one JSON body: replay it as chunks.
      yield* completionToChunks(this.parseCompletion(answer.text));
      return;
    }
    const chunks = new OpenAICompatibleChunks(FRESH);
    const { events } = answer;
    let done = false;
    /** Every choice has finished: what may still come is the usage chunk and `[DONE]`. */
    let whole = false;
    try {
      while (true) {
        const result = whole ? await withinTail(events.next()) : await events.next();
        // Quiet past TAIL_MS after the answer was whole: ended as if the body had (estimated usage).
        if (result === null || result.done) break;
        const event = result.value;
        if (event.data === '[DONE]') {
          done = true;
          events.finish(); // the body ends on its own: its connection is kept
          break;
        }
        const body = parseJson(event.data);
        if (!body || typeof body !== 'object') throw upstreamBadResponse(this.id, 'sent a malformed stream event');
        // OpenAI's and OpenRouter's `error` (OpenRouter's beside a chunk's fields), vLLM's flat one.
        if ((body as { error?: unknown }).error || event.event === 'error' || (body as { object?: unknown }).object === 'error') {
          // Before any chunk the client has been sent nothing: the error keeps its own status
          // (OpenRouter's 429 in the stream's first event stays a 429 the SDK retries).
          const masked = this.masked(event.data) ?? body;
          // vLLM's flat error and llama.cpp's `error:` line carry the error's fields at the top.
          const error = (masked as { error?: unknown }).error ? masked : { error: masked };
          throw (chunks.begun ? undefined : errorInAnswer(this.id, error)) ?? mapOpenAIStreamError(this.id, error);
        }
        const chunk = chunks.convert(body);
        if (chunks.failure) throw upstreamBadResponse(this.id, `stopped before the answer was complete (finish_reason "${chunks.failure}")`);
        const lead = chunks.takeLead();
        if (lead) yield lead;
        yield chunk;
        // The usage chunk after every choice has finished is OpenAI's last before [DONE]: the
        // answer is whole, and a server that then holds the connection does not hold the client
        // until timeout_ms. finish() still lets a [DONE] that follows keep the connection.
        if (chunk.usage && chunk.choices.length === 0 && chunks.complete) {
          done = true;
          events.finish();
          break;
        }
        if (!whole && chunk.choices.some((choice) => choice.finish_reason)) whole = chunks.complete;
      }
    } finally {
      // Stopped before the body's end (a failure, the client gone, a quiet tail): the upstream
      // request is cancelled. After finish() or the body's own end this does nothing.
      void events.return?.();
    }
    // `[DONE]` after an answer ends it, even where a server named no finish_reason; `[DONE]`
    // alone, or a body that stops before either, is not a complete stream.
    if (done && chunks.begun) yield* chunks.closing();
    else if (!chunks.complete && !ctx.signal.aborted) throw upstreamBadResponse(this.id, 'ended the stream before it was complete');
  }

  /**
   * Asks for usage always: some servers omit it unless asked, and Iris meters every request.
   * A server that refuses the field Iris added (a 400 or 422 naming it: nothing was generated)
   * is asked again without it, and from then on; its usage, if it sends none, is estimated.
   * (include_usage is Iris's to honour either way.) Other stream_options a client sends are its
   * own business: a refusal of those goes back to it, and changes nothing for other requests.
   */
  private async postStream(request: ChatCompletionRequest, ctx: CallContext) {
    const clientsOwn = Object.keys(request.stream_options ?? {}).some((key) => key !== 'include_usage');
    const without = () => this.client.postForEvents(this.call({ ...request, stream: true, stream_options: undefined }, ctx));
    if (!this.streamOptions && !clientsOwn) return without();
    const answer = await this.client.postForEvents(this.call({ ...request, stream: true, stream_options: { ...request.stream_options, include_usage: true } }, ctx));
    if ('events' in answer || clientsOwn) return answer;
    if ((answer.status !== 400 && answer.status !== 422) || !answer.text.includes('stream_options')) return answer;
    const retried = await without();
    // Left off for good only once a request goes through without it: vLLM's and SGLang's
    // validation errors quote the whole request, stream_options too, whatever they refuse.
    if ('events' in retried || retried.status < 300) {
      this.streamOptions = false;
      ctx.log.warn({ provider: this.id }, 'the upstream refuses stream_options: streams go without it from now on');
    }
    return retried;
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private call(body: ChatCompletionRequest, ctx: CallContext): UpstreamCall {
    return {
      path: '/chat/completions',
      headers: { ...this.headers, 'x-request-id': ctx.requestId },
      body: withMaxTokensField(body, this.maxTokensField),
      verbatim: ctx.verbatim,
      signal: ctx.signal,
    };
  }

  /**
   * An error body read again with this provider's credentials masked, as the upstream client
   * does for error statuses: the message it yields may be cut (a provider's detail, to 500
   * characters). Undefined when there is nothing to mask.
   */
  private masked(text: string): unknown {
    if (this.secrets.empty) return undefined;
    const redacted = this.secrets.redact(text);
    return redacted === text ? undefined : parseJson(redacted);
  }

  private parseCompletion(text: string): ChatCompletion {
    const body = parseJson(text);
    // OpenRouter answers some failures with HTTP 200 and an error instead of a completion.
    const failure = errorInAnswer(this.id, body) && errorInAnswer(this.id, this.masked(text) ?? body);
    if (failure) throw attributeUpstreamError(this.id, failure);
    const converted = convertOpenAICompatibleResponse(body, FRESH);
    if ('problem' in converted) throw upstreamBadResponse(this.id, converted.problem);
    return converted.completion;
  }
}

/**
 * How long a stream whose every choice has finished may wait for what is left of it (the
 * usage chunk, `[DONE]`): servers send those at once. One that then holds the connection
 * does not hold the client until timeout_ms: the answer is whole, and its usage is estimated.
 */
const TAIL_MS = 2_000;

/** The event, or null when none comes within TAIL_MS. */
function withinTail(next: Promise<IteratorResult<EventSourceMessage>>): Promise<IteratorResult<EventSourceMessage> | null> {
  let timer: NodeJS.Timeout | undefined;
  const quiet = new Promise<null>((resolve) => (timer = setTimeout(resolve, TAIL_MS, null)));
  return Promise.race([next, quiet]).finally(() => clearTimeout(timer));
}

const FRESH: Fresh = {
  id: () => `chatcmpl-${randomBytes(15).toString('hex')}`,
  callId: () => `call_${randomBytes(12).toString('hex')}`,
  now: () => Math.floor(Date.now() / 1000),
};

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * One completion as the chunks a stream of it would have been: everything the answer carries
 * beside the content (refusal, reasoning, audio, annotations, a choice's logprobs, the answer's
 * service_tier) goes where a stream would have carried it, for the SDKs' stream helpers to
 * gather again (and for usage to count, when estimated).
 */
export function* completionToChunks(completion: ChatCompletion): Generator<ChatCompletionChunk> {
  const { id, object: _object, created, model, choices, usage, system_fingerprint, ...answerFields } = completion;
  const base = { ...answerFields, id, object: 'chat.completion.chunk' as const, created, model, system_fingerprint };
  for (const choice of choices) {
    const { role: _role, content, tool_calls, ...messageFields } = choice.message;
    // The role alone first, as OpenAI's streams open: the SDK's stream helper takes a choice's
    // first chunk as its snapshot, so logprobs there would be counted twice.
    yield { ...base, choices: [{ index: choice.index, delta: { role: 'assistant', content: '' }, finish_reason: null }] };
    const delta: ChunkDelta = content ? { content } : {};
    for (const [key, value] of Object.entries(messageFields)) if (value != null) delta[key] = value;
    if (Object.keys(delta).length > 0 || choice.logprobs) {
      yield { ...base, choices: [{ index: choice.index, delta, finish_reason: null, ...(choice.logprobs ? { logprobs: choice.logprobs } : {}) }] };
    }
    if (tool_calls?.length) {
      yield {
        ...base,
        choices: [{ index: choice.index, delta: { tool_calls: tool_calls.map((call, index) => ({ index, ...call })) }, finish_reason: null }],
      };
    }
    yield { ...base, choices: [{ index: choice.index, delta: {}, finish_reason: choice.finish_reason ?? 'stop' }] };
  }
  if (usage) yield { ...base, choices: [], usage };
}

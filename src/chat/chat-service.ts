import type { ImagePipeline, PreparedRequest } from '../images/image-pipeline.ts';
import { expandPlaceholders } from '../json/expand-placeholders.ts';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, Usage } from '../openai/types.ts';
import type { CallContext, Provider } from '../providers/provider.ts';
import { attributeStreamFailure, unreadableAnswer } from '../providers/upstream/attribute-upstream-error.ts';
import type { ModelRegistry, Route } from './model-registry.ts';
import { routeFingerprint } from './system-fingerprint.ts';
import { waitOrAbort } from '../wait-or-abort.ts';
import { countedUsage, cutStreamUsage, estimateUsage, generatedText, reasoningText, toolCallText, withImageTokens } from './usage.ts';

// The use case: complete or stream one chat, independent of HTTP. A streamed and a
// non-streamed request take the same path (route → images → [analysis] → provider) until
// the provider call; usage is metered here for both.

/** A step that may rewrite the request before the provider sees it (analysis mode). */
export interface RequestStep {
  applies(route: Route, request: ChatCompletionRequest): boolean;
  run(route: Route, request: ChatCompletionRequest, ctx: CallContext): Promise<{ request: ChatCompletionRequest; usage?: Partial<Usage> }>;
}

export interface ChatServiceDeps {
  models: ModelRegistry;
  images: ImagePipeline;
  steps?: RequestStep[];
}

export interface Outcome {
  route: Route;
  usage: Usage | null;
}

interface Prepared {
  /** The model name the client asked for: responses carry it, whatever route served them. */
  model: string;
  route: Route;
  upstream: ChatCompletionRequest;
  images: PreparedRequest;
  extraUsage: Partial<Usage>;
}

export class ChatService {
  private readonly deps: ChatServiceDeps;

  constructor(deps: ChatServiceDeps) {
    this.deps = deps;
  }

  async complete(request: ChatCompletionRequest, ctx: CallContext): Promise<ChatCompletion> {
    const prepared = await this.prepare(request, ctx);
    try {
      const { route, upstream } = prepared;
      await untilReady(route.provider, ctx.signal);
      const completion = await route.provider.complete(upstream, ctx).catch((err: unknown) => {
        throw unreadableAnswer(route.provider, err, ctx.signal);
      });
      completion.model = prepared.model;
      completion.system_fingerprint ??= routeFingerprint(route);
      const reported = countedUsage(completion.usage);
      const usage = reported ?? (await estimateUsage(upstream, generatedText(completion), reasoningText(completion)));
      completion.usage = this.finalUsage(prepared, usage, reported != null);
      logDone(ctx, prepared, completion.usage);
      return completion;
    } finally {
      prepared.images.release();
    }
  }

  /**
   * Yields the chunks the client should see. The provider's first chunk is awaited before
   * anything is yielded, so failures before it surface as ordinary HTTP errors.
   */
  async *stream(request: ChatCompletionRequest, ctx: CallContext): AsyncGenerator<ChatCompletionChunk> {
    const prepared = await this.prepare(request, ctx);
    let text = ''; // what the model generated, for estimateUsage() should no usage come
    let reasoning = '';
    let head: Pick<ChatCompletionChunk, 'id' | 'created' | 'system_fingerprint'> | null = null;
    let metered = false;
    try {
      const { route, upstream } = prepared;
      await untilReady(route.provider, ctx.signal);
      const includeUsage = request.stream_options?.include_usage === true;
      let upstreamUsage: Usage | null = null;
      try {
        for await (const chunk of route.provider.stream(upstream, ctx)) {
          // One fingerprint for the whole stream: the upstream's first, or the route's if it sends none.
          head ??= { id: chunk.id, created: chunk.created, system_fingerprint: chunk.system_fingerprint ?? routeFingerprint(route) };
          chunk.system_fingerprint = head.system_fingerprint;
          if (chunk.usage) upstreamUsage = countedUsage(chunk.usage) ?? upstreamUsage;
          // The usage chunk is re-sent at the end if asked for; one that carries more (OpenAI's
          // moderation results) is passed on as it is, without its usage.
          if (chunk.choices.length === 0 && !carriesMore(chunk)) continue;
          for (const { delta } of chunk.choices) {
            if (typeof delta.content === 'string') text += delta.content;
            if (typeof delta.refusal === 'string') text += delta.refusal;
            if (typeof delta.reasoning_content === 'string') reasoning += delta.reasoning_content;
            if (delta.tool_calls) for (const call of delta.tool_calls) text += toolCallText(call);
          }
          chunk.model = prepared.model;
          if (includeUsage) chunk.usage = null;
          else delete chunk.usage;
          yield chunk;
        }
      } catch (err) {
        // A failure mid-stream names its provider, as one over HTTP does.
        throw attributeStreamFailure(route.provider, err, ctx.signal);
      }
      const usage = this.finalUsage(prepared, upstreamUsage ?? (await estimateUsage(upstream, text, reasoning)), upstreamUsage !== null);
      logDone(ctx, prepared, usage);
      metered = true;
      if (includeUsage && head) {
        yield { id: head.id, object: 'chat.completion.chunk', created: head.created, model: prepared.model, system_fingerprint: head.system_fingerprint, choices: [], usage };
      }
    } finally {
      prepared.images.release();
      // A stream cut short after it began (its client gone, the upstream failed) was billed by
      // the upstream for what it generated: its log line counts that, estimated from what came.
      if (!metered && head !== null && ctx.log.isLevelEnabled('info')) {
        const usage = await cutStreamUsage(prepared.upstream, text, reasoning).catch(() => null); // never hides why the stream ended
        if (usage) logDone(ctx, prepared, this.finalUsage(prepared, usage, false));
      }
    }
  }

  private async prepare(request: ChatCompletionRequest, ctx: CallContext): Promise<Prepared> {
    let route = this.deps.models.resolve(request.model);
    let current = request;
    const extraUsage: Partial<Usage> = {};
    for (const step of this.deps.steps ?? []) {
      if (!step.applies(route, current)) continue;
      // Long data URLs are placeholders until here: steps read image URLs as strings.
      current = expandPlaceholders(current, ctx.verbatim);
      const result = await step.run(route, current, ctx);
      current = result.request;
      Object.assign(extraUsage, result.usage);
      route = this.deps.models.resolve(current.model);
    }
    const { provider } = route;
    if (ctx.logCompletion && ctx.log.isLevelEnabled('info')) ctx.logCompletion({ model: request.model, provider: provider.id });
    const images = await this.deps.images.prepare(
      current,
      {
        limits: provider.imageLimits,
        fetchUrls: provider.imageLimits.acceptsUrls ? (provider.fetchUrls ?? 'upstream') : 'iris',
        tokens: route.imageTokens,
        upstreamModel: route.upstreamModel,
      },
      ctx,
    );
    const upstream = provider.writesVerbatim ? images.request : expandPlaceholders(images.request, ctx.verbatim);
    return { model: request.model, route, upstream: { ...upstream, model: route.upstreamModel }, images, extraUsage };
  }

  /** `reported`: the provider counted this usage (else it is estimateUsage()'s, text only). */
  private finalUsage(prepared: Prepared, usage: Usage, reported: boolean): Usage {
    const { provider } = prepared.route;
    // The local engine reports text tokens only; an upstream's count includes the images, once
    // for each time it read the prompt.
    const imagesCounted = reported && provider.type !== 'local';
    const imageTokens = prepared.images.imageTokens * (imagesCounted ? (provider.promptReads?.(prepared.upstream) ?? 1) : 1);
    return { ...withImageTokens(usage, imageTokens, imagesCounted), ...prepared.extraUsage };
  }
}

/**
 * Waits while the provider loads (the engine's models), but not past the client: a request
 * whose client leaves while it waits ends then, not when loading is done. Ready providers pay nothing.
 */
function untilReady(provider: Provider, signal: AbortSignal): Promise<void> | void {
  if (!provider.whenReady || provider.isReady?.() === true) return;
  return waitOrAbort(provider.whenReady(), signal);
}

/**
 * The answer's model (as the client named it, and as the response says) and tokens: on the
 * request's own log line where there is one (one write, not two).
 */
function logDone(ctx: CallContext, { model, route }: Prepared, usage: Usage): void {
  if (!ctx.log.isLevelEnabled('info')) return; // no object built per request for a line nobody reads
  const fields = {
    model,
    provider: route.provider.id,
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    image_tokens: usage.prompt_tokens_details?.image_tokens ?? 0,
  };
  if (ctx.logCompletion) ctx.logCompletion(fields);
  else ctx.log.info(fields, 'chat completed');
}

/** What a chunk without choices holds when it is only the usage chunk. */
const USAGE_CHUNK_FIELDS = new Set(['id', 'object', 'created', 'model', 'system_fingerprint', 'service_tier', 'obfuscation', 'choices', 'usage']);

/** Whether a chunk without choices holds more than usage (e.g. `moderation`). */
function carriesMore(chunk: ChatCompletionChunk): boolean {
  for (const key in chunk) if (!USAGE_CHUNK_FIELDS.has(key)) return true;
  return false;
}

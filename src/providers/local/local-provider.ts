import type { Logger } from 'pino';
import type { EngineConfig } from '../../config/engine-config.ts';
import { composeAnswer } from '../../engine/compose/compose-answer.ts';
import { findingsDocument } from '../../engine/compose/findings-json.ts';
import { needsText, parseQuestion } from '../../engine/compose/question-intent.ts';
import { EngineBusyError, EngineClosedError, InvalidImageError } from '../../engine/engine-errors.ts';
import { EnginePool } from '../../engine/engine-pool.ts';
import type { ImageFindings } from '../../engine/findings.ts';
import { ApiError } from '../../openai/api-error.ts';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '../../openai/types.ts';
import type { CallContext, ImageLimits, Provider } from '../provider.ts';
import { buildChunks, buildCompletion, choiceCount, completionId, makeUsage, shapeAnswer, type Shaped } from './build-completion.ts';
import { promptTokens } from '../../chat/count-tokens.ts';
import { refuseForcedTool, refuseOutputsItCannotGive } from './refuse-unsupported.ts';
import { answerForSchema, checkResponseSchema } from './json-schema-answer.ts';
import { readRequest, type RequestImage } from './read-request.ts';

// The embedded recognition engine as a provider (model `Image-Recognition` by default).
// Workers start loading as soon as the provider is created; requests wait for them.
// The engine cannot call tools: with `tools` in the request it still answers in text, and a
// request that forces a tool call is refused, as is one for logprobs or audio (refuse-unsupported.ts).

export const LOCAL_IMAGE_LIMITS: ImageLimits = {
  acceptsUrls: false,
  // TIFF too (scans often are): the engine reads it as it is, and can say what it was sent.
  formats: ['jpeg', 'png', 'webp', 'gif', 'tiff'],
  maxBytes: 20_000_000,
  maxPixels: 50_000_000,
  multiFrame: false,
};

export interface LocalProvider extends Provider {
  isReady(): boolean;
  whenReady(): Promise<void>;
  close(): Promise<void>;
  /** Images being analysed and waiting, for /health and metrics. */
  load(): { running: number; queued: number; threads: number; maxQueue: number };
}

/** `pool`: tests pass their own, to reach its workers. */
export function createLocalProvider(config: EngineConfig, log: Logger, options: { pool?: EnginePool } = {}): LocalProvider {
  const started = performance.now();
  const pool =
    options.pool ??
    new EnginePool({ threads: config.threads, maxQueue: config.max_queue, onWorkerError: (err) => log.error({ err }, 'recognition worker failed outside a task; a new one takes its place') });
  pool.whenReady().then(
    () => log.info({ threads: pool.threads, ms: Math.round(performance.now() - started) }, 'recognition engine ready'),
    (err: unknown) => log.error({ err }, 'recognition engine failed to start'),
  );
  // The chat core waits on whenReady() (and the client's signal) before calling the provider,
  // so answer() runs on a ready pool; a failed start must reach the client as the engine's 503
  // there too, not as an unexplained 500.
  let failure: string | null = null;
  const ready = pool.whenReady().catch((err: unknown) => {
    failure = err instanceof Error ? err.message : String(err);
    throw engineUnavailable(err);
  });
  ready.catch(() => undefined);

  async function answer(request: ChatCompletionRequest, ctx: CallContext): Promise<{ shaped: Shaped; n: number; prompt: number }> {
    // What the engine cannot honour is refused before any image is analysed.
    refuseForcedTool(request);
    refuseOutputsItCannotGive(request);
    checkResponseSchema(request.response_format);
    const input = readRequest(request);
    const intents = parseQuestion(input.question);
    // Ready already when the chat core calls (it waits, watching the client); a direct caller
    // waits here, and hears the engine's 503 if it failed to start.
    if (!pool.isReady()) await ready;
    const findings = await analyseAll(pool, input.images, needsText(intents) ? 'always' : 'auto', ctx.signal);
    ctx.log.debug({ images: findings.map((f) => f.timingsMs) }, 'engine findings');
    const prose = composeAnswer(findings, input.question);
    const text = input.json ? answerForSchema(findingsDocument(findings, prose), request.response_format) : prose;
    return { shaped: shapeAnswer(text, request), n: choiceCount(request), prompt: promptTokens(request) };
  }

  return {
    id: 'engine', // as logs and /health name it; its type, local, is what no configured provider has
    type: 'local',
    imageLimits: LOCAL_IMAGE_LIMITS,
    isReady: () => pool.isReady(),
    whenReady: () => ready,
    startFailure: () => failure,
    close: () => pool.close(),
    load: () => ({ ...pool.load, threads: pool.threads, maxQueue: pool.maxQueue }),

    async complete(request: ChatCompletionRequest, ctx: CallContext): Promise<ChatCompletion> {
      const { shaped, n, prompt } = await answer(request, ctx);
      return buildCompletion(request.model, shaped, n, makeUsage(prompt, shaped, n));
    },

    async *stream(request: ChatCompletionRequest, ctx: CallContext): AsyncIterable<ChatCompletionChunk> {
      // The answer is composed whole (recognition is all-or-nothing), then sent in pieces.
      const id = completionId();
      const { shaped, n, prompt } = await answer(request, ctx);
      for (const chunk of buildChunks(request.model, shaped, n, makeUsage(prompt, shaped, n), id)) {
        if (ctx.signal.aborted) return;
        yield chunk;
      }
    },
  };
}

async function analyseAll(pool: EnginePool, images: RequestImage[], ocr: 'auto' | 'always', signal: AbortSignal): Promise<ImageFindings[]> {
  // The queue admits whole requests: all of a request's images or none.
  try {
    pool.admit();
  } catch (err) {
    throw toApiError(err, images[0]?.param ?? null, signal);
  }
  const settled = await Promise.allSettled(images.map((image) => pool.analyse(image.data, ocr, signal, true)));
  const failed = settled.findIndex((s) => s.status === 'rejected');
  if (failed >= 0) throw toApiError((settled[failed] as PromiseRejectedResult).reason, images[failed]!.param, signal);
  return settled.map((s) => (s as PromiseFulfilledResult<ImageFindings>).value);
}

function engineUnavailable(cause: unknown): ApiError {
  return new ApiError(503, 'The recognition engine failed to start.', { type: 'server_error', code: 'engine_unavailable', cause });
}

function toApiError(err: unknown, param: string | null, signal: AbortSignal): unknown {
  if (signal.aborted) return signal.reason;
  if (err instanceof InvalidImageError) return new ApiError(400, err.message, { type: 'invalid_request_error', code: 'invalid_image', param });
  if (err instanceof EngineBusyError) {
    return new ApiError(429, err.message, { type: 'rate_limit_error', code: 'engine_busy', headers: { 'retry-after': '1' } });
  }
  if (err instanceof EngineClosedError) return new ApiError(503, err.message, { type: 'server_error', code: 'engine_unavailable' });
  return new ApiError(500, 'The recognition engine failed on this image.', { type: 'server_error', code: 'engine_error', cause: err });
}

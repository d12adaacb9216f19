import type { RequestStep } from '../chat/chat-service.ts';
import type { ModelRegistry, Route } from '../chat/model-registry.ts';
import type { AnalysisConfig } from '../config/analysis-config.ts';
import type { ImagePipeline, PreparedImage } from '../images/image-pipeline.ts';
import type { AnalysisUsage, ChatCompletionRequest, ContentPart, Usage } from '../openai/types.ts';
import type { CallContext } from '../providers/provider.ts';
import { waitOrAbort } from '../wait-or-abort.ts';
import { analysisFailed, analysisUnavailable, failureReason, notVisionCapable } from './analysis-errors.ts';
import { DEFAULT_ANALYSIS_PROMPT, renderAnalysisPrompt } from './analysis-prompt.ts';
import { descriptionKey, type DescriptionCache } from './description-cache.ts';
import { describeImage, EmptyDescriptionError, type CompleteFn, type Description } from './describe-image.ts';
import { findImages, hasImages, type FoundImage } from './find-images.ts';
import { imageSource } from './image-source.ts';
import { mapLimit } from './map-limit.ts';
import { replaceImages, type ImageOutcome } from './replace-images.ts';

// Analysis mode as a step of the chat core: for `<model>-ocr`, or a `vision: false` model
// given images, every image is described by the analysis model (cached by content), each
// image part is replaced in place by its description, and the request goes on to the text
// model with no image parts at all.

export interface AnalysisStepDeps {
  config: AnalysisConfig;
  /** The vision model that describes images (analysis.model, else the engine's name). */
  analysisModel: string;
  models: ModelRegistry;
  images: ImagePipeline;
  /** The chat core's complete(): the analysis call takes the same path as any request. */
  complete: CompleteFn;
  cache: DescriptionCache;
}

interface Job {
  images: FoundImage[];
  key: string | null;
  url: string;
  prompt: string;
}

type JobResult = { ok: true; description: Description; cached: boolean } | { ok: false; error: unknown };

/** What a failed description still cost (an empty answer was paid for). */
function spentOn(error: unknown): Omit<Description, 'text'> | null {
  return error instanceof EmptyDescriptionError ? error.spent : null;
}

export class AnalysisStep implements RequestStep {
  private readonly deps: AnalysisStepDeps;
  private readonly promptTemplate: string;
  /** Descriptions being made now, by cache key: a request that needs one meanwhile waits for it instead of paying again. */
  private readonly inflight = new Map<string, Promise<Description>>();

  constructor(deps: AnalysisStepDeps) {
    this.deps = deps;
    this.promptTemplate = deps.config.prompt ?? DEFAULT_ANALYSIS_PROMPT;
  }

  applies(route: Route, request: ChatCompletionRequest): boolean {
    return route.analysisOf !== undefined || (!route.vision && hasImages(request));
  }

  async run(route: Route, request: ChatCompletionRequest, ctx: CallContext): Promise<{ request: ChatCompletionRequest; usage?: Partial<Usage> }> {
    const started = performance.now();
    const textModel = route.analysisOf ?? route.name;
    const images = findImages(request);
    if (route.analysisOf === undefined && !this.deps.config.auto) throw notVisionCapable(route.name, images[0].param);

    const { analysisModel } = this.deps;
    const usage: AnalysisUsage = { model: analysisModel, images: images.length, cached_images: 0, prompt_tokens: 0, completion_tokens: 0, image_tokens: 0 };
    const log = ctx.log.child({ step: 'analysis' });
    if (images.length === 0) {
      log.info({ text_model: textModel, images: 0 }, 'analysis: no images; on to the text model');
      return { request: { ...request, model: textModel }, usage: { analysis: usage } };
    }
    const analysisRoute = this.deps.models.get(analysisModel);
    if (!analysisRoute) throw analysisUnavailable(analysisModel);
    log.info({ text_model: textModel, analysis_model: analysisModel, images: images.length, auto: route.analysisOf === undefined }, 'analysis: images found');

    // The pipeline fetches URLs (guarded) and decodes data URLs: the bytes key the cache.
    const { provider } = analysisRoute;
    const prepared = await this.deps.images.prepare(
      request,
      {
        // Each image is a call of its own: bounded by analysis.max_images, not by how many the
        // analysis model takes in one request.
        limits: { ...provider.imageLimits, maxImages: this.deps.config.max_images },
        fetchUrls: 'iris',
        tokens: analysisRoute.imageTokens,
        upstreamModel: analysisRoute.upstreamModel,
      },
      ctx,
    );
    let outcomes: ImageOutcome[];
    try {
      const jobs = this.jobsFor(images, prepared.images, prepared.request);
      const results = await this.runJobs(jobs, ctx, log);
      outcomes = new Array<ImageOutcome>(images.length);
      jobs.forEach((job, j) => {
        const result = results[j];
        job.images.forEach((image, copy) => {
          const at = image.number - 1;
          if (!result.ok) {
            outcomes[at] = { kind: 'failed', reason: failureReason(result.error), model: analysisModel };
            const spent = spentOn(result.error);
            if (spent && copy === 0) addSpent(usage, spent);
            return;
          }
          outcomes[at] = { kind: 'described', text: result.description.text, model: analysisModel };
          // Paid for once: further copies of the same image, like cache hits, cost nothing.
          if (result.cached || copy > 0) usage.cached_images++;
          if (!result.cached && copy === 0) addSpent(usage, result.description);
        });
      });
    } finally {
      prepared.release();
    }

    log.info({ text_model: textModel, ms: Math.round(performance.now() - started), ...usage }, 'analysis: done; calling the text model');
    return { request: replaceImages({ ...request, model: textModel }, images, outcomes), usage: { analysis: usage } };
  }

  /**
   * The description another request is making of the same image, prompt and model, once it is
   * made; undefined when there is none, or it failed or its request left (this one makes its own).
   */
  private async described(key: string, signal: AbortSignal): Promise<Description | undefined> {
    const pending = this.inflight.get(key);
    if (!pending) return undefined;
    try {
      return await waitOrAbort(pending, signal);
    } catch (err) {
      if (signal.aborted) throw err;
      return undefined;
    }
  }

  /** Lets requests that need the same description meanwhile wait for this one, and caches it. */
  private async share(key: string, describing: Promise<Description>): Promise<Description> {
    this.inflight.set(key, describing);
    try {
      const description = await describing;
      // In flight until cached: a request that looks in between finds it in one or the other.
      await this.deps.cache.set(key, { text: description.text, model: this.deps.analysisModel });
      return description;
    } finally {
      if (this.inflight.get(key) === describing) this.inflight.delete(key);
    }
  }

  /** One job per distinct image, prompt and detail: the same image sent twice is described once. */
  private jobsFor(images: FoundImage[], prepared: PreparedImage[], preparedRequest: ChatCompletionRequest): Job[] {
    const byPosition = new Map(prepared.map((p) => [`${p.messageIndex}:${p.partIndex}`, p]));
    const jobs: Job[] = [];
    const byKey = new Map<string, Job>();
    for (const image of images) {
      const part = (preparedRequest.messages[image.messageIndex]?.content as ContentPart[] | undefined)?.[image.partIndex];
      const preparedUrl = part?.type === 'image_url' ? part.image_url.url : undefined;
      const source = imageSource(image, byPosition.get(`${image.messageIndex}:${image.partIndex}`), preparedUrl);
      const prompt = renderAnalysisPrompt(this.promptTemplate, image.question);
      const key = source.sha256 ? descriptionKey(source.sha256, this.deps.analysisModel, prompt, image.detail) : null;
      const same = key ? byKey.get(key) : undefined;
      if (same) {
        same.images.push(image);
        continue;
      }
      const job: Job = { images: [image], key, url: source.url, prompt };
      jobs.push(job);
      if (key) byKey.set(key, job);
    }
    return jobs;
  }

  private async runJobs(jobs: Job[], ctx: CallContext, log: CallContext['log']): Promise<JobResult[]> {
    const { cache, config, analysisModel } = this.deps;
    const hits = await Promise.all(jobs.map((job) => (job.key ? cache.get(job.key) : Promise.resolve(undefined))));
    const misses = jobs.filter((_, j) => !hits[j]).length;
    log.info({ analysis_model: analysisModel, distinct_images: jobs.length, cache_hits: jobs.length - misses, to_analyse: misses }, 'analysis: cache checked');
    // Describing takes seconds: let a streaming response hold its connection open meanwhile.
    if (misses > 0) ctx.keepAlive?.(config.keepalive_ms);

    // Under `fail`, the first failure stops the other descriptions still running.
    const stop = new AbortController();
    const signal = AbortSignal.any([ctx.signal, stop.signal]);
    return mapLimit(jobs, config.concurrency, async (job, j): Promise<JobResult> => {
      const hit = hits[j];
      if (hit) {
        for (const image of job.images) log.info({ image: image.number, param: image.param, cached: true }, 'analysis: image description from cache');
        return { ok: true, description: { text: hit.text, prompt_tokens: 0, completion_tokens: 0, image_tokens: 0 }, cached: true };
      }
      const [first] = job.images;
      const t0 = performance.now();
      try {
        // A job that waited for a slot looks again: another request may have described it meanwhile.
        const late = job.key && j >= config.concurrency ? await cache.get(job.key) : undefined;
        if (late) {
          log.info({ image: first.number, param: first.param, cached: true }, 'analysis: image description from cache');
          return { ok: true, description: { text: late.text, prompt_tokens: 0, completion_tokens: 0, image_tokens: 0 }, cached: true };
        }
        const shared = job.key ? await this.described(job.key, signal) : undefined;
        if (shared) {
          log.info({ image: first.number, param: first.param, ms: Math.round(performance.now() - t0) }, 'analysis: image description shared');
          return { ok: true, description: { ...shared, prompt_tokens: 0, completion_tokens: 0, image_tokens: 0 }, cached: true };
        }
        const describing = describeImage(
          this.deps.complete,
          { model: analysisModel, prompt: job.prompt, url: job.url, detail: first.detail, timeoutMs: config.timeout_ms },
          { ...ctx, signal, keepAlive: undefined, log: ctx.log.child({ step: 'analysis', image: first.number }) },
        );
        const description = job.key ? await this.share(job.key, describing) : await describing;
        log.info(
          {
            image: first.number,
            param: first.param,
            analysis_model: analysisModel,
            ms: Math.round(performance.now() - t0),
            prompt_tokens: description.prompt_tokens,
            completion_tokens: description.completion_tokens,
            image_tokens: description.image_tokens,
            chars: description.text.length,
          },
          'analysis: image described',
        );
        return { ok: true, description, cached: false };
      } catch (err) {
        // The client left, or another image already failed the request: nothing to report here.
        if (ctx.signal.aborted || stop.signal.aborted) throw err;
        log.warn({ image: first.number, param: first.param, analysis_model: analysisModel, ms: Math.round(performance.now() - t0), reason: failureReason(err), on_error: config.on_error }, 'analysis: image failed');
        if (config.on_error === 'skip') return { ok: false, error: err };
        stop.abort(err);
        throw analysisFailed(analysisModel, first.number, first.param, err);
      }
    });
  }
}

function addSpent(usage: AnalysisUsage, spent: Omit<Description, 'text'>): void {
  usage.prompt_tokens += spent.prompt_tokens;
  usage.completion_tokens += spent.completion_tokens;
  usage.image_tokens += spent.image_tokens;
}

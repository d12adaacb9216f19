import type { Logger } from 'pino';
import type { ModelRegistry } from '../chat/model-registry.ts';
import type { AnalysisConfig } from '../config/analysis-config.ts';
import type { ImagePipeline } from '../images/image-pipeline.ts';
import { AnalysisStep } from './analysis-step.ts';
import { MemoryDescriptionCache, TieredDescriptionCache, type DescriptionCache } from './description-cache.ts';
import type { CompleteFn } from './describe-image.ts';
import { registerOcrRoutes } from './ocr-routes.ts';
import { RedisDescriptionCache } from './redis-description-cache.ts';

// Builds analysis mode from config: the `-ocr` routes, the description cache (memory, plus
// Redis when a URL is given) and the chat-core step. Call after every model is registered.

export interface AnalysisSetup {
  config: AnalysisConfig;
  /** The engine's model name: the analysis model when analysis.model is unset. */
  engineModelName: string;
  redisUrl?: string;
  models: ModelRegistry;
  images: ImagePipeline;
  complete: CompleteFn;
  log: Logger;
}

export interface Analysis {
  step: AnalysisStep;
  analysisModel: string;
  cache: DescriptionCache;
  close(): Promise<void>;
}

export function createAnalysis(setup: AnalysisSetup): Analysis {
  const { config, models, log } = setup;
  const analysisModel = config.model ?? setup.engineModelName;
  // The config check (config-schema.ts) has made sure a set analysis.model is served and sees.
  const route = models.get(analysisModel);
  // Without an analysis model there is nothing to offer `-ocr` with: the routes are not
  // listed, and the step answers their image requests with an error that says what is missing.
  registerOcrRoutes(models, route !== undefined);
  if (!route) {
    // Worth a warning only where a text-only model will meet images.
    const textOnly = models.list().filter((r) => !r.vision).map((r) => r.name);
    log[textOnly.length ? 'warn' : 'debug'](
      { analysis_model: analysisModel, text_only_models: textOnly },
      'analysis mode unavailable: no analysis model (enable the engine or set analysis.model)',
    );
  }

  const memory = new MemoryDescriptionCache(config.cache_entries);
  const cache: DescriptionCache = setup.redisUrl
    ? new TieredDescriptionCache(memory, new RedisDescriptionCache(setup.redisUrl, config.cache_ttl_s, log.child({ cache: 'redis' })))
    : memory;
  const step = new AnalysisStep({ config, analysisModel, models, images: setup.images, complete: setup.complete, cache });
  return {
    step,
    analysisModel,
    cache,
    async close() {
      await cache.close?.();
    },
  };
}

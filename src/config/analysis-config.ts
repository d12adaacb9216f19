import { z } from 'zod';
import { bool, num } from './scalar-fields.ts';

// Analysis mode (src/analysis/): images described by a vision model for text-only models.

export const analysisConfigSchema = z
  .object({
    /** Requests with images for a `vision: false` model go through analysis without `-ocr`. */
    auto: bool().default(true),
    /** The vision model that describes images; default: the engine (Image-Recognition). */
    model: z.string().optional(),
    /** Prompt for the analysis model; `{question}` becomes the user's text beside the image. */
    prompt: z.string().optional(),
    /**
     * The most images one request may have described (a call each): past it, a 400
     * too_many_images before any is, so one request cannot run up hundreds of calls.
     */
    max_images: num(z.number().int().positive()).default(100),
    /** Images of one request described at the same time. */
    concurrency: num(z.number().int().positive()).default(4),
    /** Per image. */
    timeout_ms: num(z.number().int().positive()).default(60_000),
    /** `fail`: an error naming the image (src/analysis/analysis-errors.ts); `skip`: a note replaces the image and the request goes on. */
    on_error: z.enum(['fail', 'skip']).default('fail'),
    /** Descriptions kept in memory (LRU); 0 turns the memory cache off. */
    cache_entries: num(z.number().int().nonnegative()).default(1000),
    /** How long a description lives in the shared Redis cache (when REDIS_URL is set). */
    cache_ttl_s: num(z.number().int().positive()).default(7 * 24 * 3600),
    /** Streams: SSE comment interval while analysis holds back the first chunk. */
    keepalive_ms: num(z.number().int().positive()).default(5000),
  })
  .strict()
  .prefault({});

export type AnalysisConfig = z.infer<typeof analysisConfigSchema>;

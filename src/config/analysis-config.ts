import { z } from 'zod';

// Analysis mode (src/analysis/): images described by a vision model for text-only models.

export const analysisConfigSchema = z
  .object({
    auto: z.boolean().default(true),
    /** The vision model that describes images; default: Image-Recognition. */
    model: z.string().optional(),
    prompt: z.string().optional(),
    concurrency: z.number().int().positive().default(4),
    timeout_ms: z.number().int().positive().default(60_000),
    on_error: z.enum(['fail', 'skip']).default('fail'),
    cache_entries: z.number().int().nonnegative().default(1000),
  })
  .strict()
  .prefault({});

export type AnalysisConfig = z.infer<typeof analysisConfigSchema>;

import { z } from 'zod';

// The embedded recognition engine (src/engine/), served as the model `Image-Recognition`.

export const engineConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    model_name: z.string().default('Image-Recognition'),
    /** Worker threads; default: one per core. */
    threads: z.number().int().positive().optional(),
    /** Requests waiting beyond the busy workers; past it: 429. */
    max_queue: z.number().int().nonnegative().default(32),
  })
  .strict()
  .prefault({});

export type EngineConfig = z.infer<typeof engineConfigSchema>;

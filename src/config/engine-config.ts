import { z } from 'zod';
import { bool, num } from './scalar-fields.ts';

// The embedded recognition engine (src/engine/), served as the model `Image-Recognition`.

export const engineConfigSchema = z
  .object({
    enabled: bool().default(true),
    model_name: z.string().default('Image-Recognition'),
    /** Worker threads; default: one per core. */
    threads: num(z.number().int().positive()).optional(),
    /** Requests waiting beyond the busy workers; past it: 429. */
    max_queue: num(z.number().int().nonnegative()).default(32),
  })
  .strict()
  .prefault({});

export type EngineConfig = z.infer<typeof engineConfigSchema>;

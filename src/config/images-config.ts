import { z } from 'zod';

// The image ingest pipeline (src/images/).

export const imagesConfigSchema = z
  .object({
    fetch: z
      .object({
        allow_hosts: z.array(z.string()).default([]),
        deny_hosts: z.array(z.string()).default([]),
        max_bytes: z.number().int().positive().default(20_000_000),
        timeout_ms: z.number().int().positive().default(10_000),
        max_redirects: z.number().int().min(0).max(20).default(5),
        user_agent: z.string().default('Iris-ImageFetcher/0.1 (+https://github.com/iris)'),
      })
      .strict()
      .prefault({}),
    max_pixels: z.number().int().positive().default(50_000_000),
    inflight_bytes: z.number().int().positive().default(268_435_456),
    cache_bytes: z.number().int().nonnegative().default(134_217_728),
  })
  .strict()
  .prefault({});

export type ImagesConfig = z.infer<typeof imagesConfigSchema>;

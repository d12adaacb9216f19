import { z } from 'zod';
import { analysisConfigSchema } from './analysis-config.ts';
import { engineConfigSchema } from './engine-config.ts';
import { imagesConfigSchema } from './images-config.ts';
import { modelConfigSchema, providerConfigSchema } from './providers-config.ts';

// The whole of Iris's configuration: one typed object, validated once at start-up.
// Environment variables override the file for the settings that deployments set that way.

export const configSchema = z
  .object({
    server: z
      .object({
        host: z.string().default('0.0.0.0'),
        port: z.number().int().min(0).max(65535).default(8080),
        /** Seconds to wait for in-flight requests on shutdown. */
        shutdown_grace_s: z.number().nonnegative().default(10),
        log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .strict()
      .prefault({}),
    data_dir: z.string().default('./data'),
    /** Redis (from REDIS_URL) for state shared across instances, e.g. analysis descriptions. */
    redis_url: z.string().optional(),
    auth: z
      .object({
        /** Plain keys accepted (from IRIS_API_KEYS); stored only as hashes in memory. */
        keys: z.array(z.string().min(8)).default([]),
        /** Turning auth off is allowed for local experiments only; start-up warns loudly. */
        enabled: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    limits: z
      .object({
        max_body_bytes: z.number().int().positive().default(50_000_000),
        /** Bytes of request bodies held at once (by Content-Length); past it, 503 with Retry-After. */
        inflight_body_bytes: z.number().int().positive().default(536_870_912),
      })
      .strict()
      .prefault({}),
    providers: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'provider ids use letters, digits, _ . -'), providerConfigSchema).default({}),
    models: z.array(modelConfigSchema).default([]),
    images: imagesConfigSchema,
    engine: engineConfigSchema,
    analysis: analysisConfigSchema,
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.models.forEach((model, i) => {
      if (!(model.provider in config.providers)) {
        ctx.addIssue({
          code: 'custom',
          path: ['models', i, 'provider'],
          message: `unknown provider "${model.provider}" (configured: ${Object.keys(config.providers).join(', ') || 'none'})`,
        });
      }
      if (seen.has(model.name)) ctx.addIssue({ code: 'custom', path: ['models', i, 'name'], message: `duplicate model "${model.name}"` });
      seen.add(model.name);
    });
  });

export type IrisConfig = z.infer<typeof configSchema>;

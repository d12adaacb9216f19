import { z } from 'zod';
import { bool, num } from './scalar-fields.ts';
import { analysisConfigSchema, type AnalysisConfig } from './analysis-config.ts';
import { engineConfigSchema, type EngineConfig } from './engine-config.ts';
import { imagesConfigSchema } from './images-config.ts';
import { modelConfigSchema, providerConfigSchema, type ModelConfig } from './providers-config.ts';

// The whole of Iris's configuration: one typed object, validated once at start-up.
// Environment variables override the file for the settings that deployments set that way.

export const configSchema = z
  .object({
    server: z
      .object({
        host: z.string().default('0.0.0.0'),
        port: num(z.number().int('must be a whole number, 0–65535').min(0, 'must be 0–65535').max(65535, 'must be 0–65535')).default(8080),
        /** Seconds to wait for in-flight requests on shutdown. */
        shutdown_grace_s: num(z.number().nonnegative()).default(10),
        /**
         * Seconds a streaming client may leave what was sent unread before Iris ends its stream
         * (and the upstream call): a client that stops reading must not hold an upstream forever.
         */
        client_read_timeout_s: num(z.number().positive()).default(60),
        /**
         * Seconds a client has to send its whole request, body included (0: no limit). Node's own
         * default; without it, a client trickling a body would hold its connection and its share
         * of the body budget for ever.
         */
        request_timeout_s: num(z.number().nonnegative()).default(300),
        log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
        /**
         * Web pages (origins, e.g. https://app.example.com, or "*") whose scripts may call Iris.
         * Unset: any origin while auth is on (keys are bearer tokens, as with OpenAI's API), none
         * while it is off (else any site a user visits could use an open Iris on their network).
         */
        cors_origins: z.array(z.string().regex(/^(\*|https?:\/\/[^/\s]+)$/, 'must be "*" or an origin such as https://app.example.com (scheme and host, no path)')).optional(),
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
        enabled: bool().default(true),
      })
      .strict()
      .prefault({}),
    limits: z
      .object({
        max_body_bytes: num(z.number().int().positive()).default(50_000_000),
        /** Bytes of request bodies held at once (by Content-Length); past it, 503 with Retry-After. */
        inflight_body_bytes: num(z.number().int().positive()).default(536_870_912),
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
      // Model names are what clients ask for: one name, one model.
      if (config.engine.enabled && model.name === config.engine.model_name) {
        ctx.addIssue({
          code: 'custom',
          path: ['models', i, 'name'],
          message: `"${model.name}" is the embedded engine's model (engine.model_name); rename this model, set another engine.model_name, or engine.enabled: false`,
        });
      }
      if (seen.has(model.name)) ctx.addIssue({ code: 'custom', path: ['models', i, 'name'], message: `duplicate model "${model.name}"` });
      seen.add(model.name);
    });
    // /health and logs name the engine's provider 'engine': a configured one of that name would read the same.
    if (config.engine.enabled && 'engine' in config.providers) {
      ctx.addIssue({ code: 'custom', path: ['providers', 'engine'], message: `"engine" names the embedded engine's provider; give this provider another name, or set engine.enabled: false` });
    }
    checkAnalysisModel(config, ctx);
  });

/** analysis.model must name a served model that can see images. */
function checkAnalysisModel(config: { models: ModelConfig[]; engine: EngineConfig; analysis: AnalysisConfig }, ctx: z.RefinementCtx): void {
  const name = config.analysis.model;
  if (name === undefined || (config.engine.enabled && name === config.engine.model_name)) return;
  const model = config.models.find((m) => m.name === name);
  const served = [...(config.engine.enabled ? [config.engine.model_name] : []), ...config.models.map((m) => m.name)];
  if (!model) {
    ctx.addIssue({ code: 'custom', path: ['analysis', 'model'], message: `no model named "${name}" is served (models: ${served.join(', ') || 'none'})` });
  } else if (!model.vision) {
    ctx.addIssue({ code: 'custom', path: ['analysis', 'model'], message: `"${name}" is configured with vision: false, so it cannot describe images` });
  }
}

export type IrisConfig = z.infer<typeof configSchema>;

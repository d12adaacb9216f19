import { z } from 'zod';
import { bool, num } from './scalar-fields.ts';

// Upstream providers, keyed by id. Each type has its own wire dialect in src/providers/<type>/.

const imageLimitsSchema = z
  .object({
    max_bytes: num(z.number().int().positive()).optional(),
    max_pixels: num(z.number().int().positive()).optional(),
    max_edge: num(z.number().int().positive()).optional(),
    max_images: num(z.number().int().positive()).optional(),
    formats: z.array(z.enum(['jpeg', 'png', 'webp', 'gif'])).optional(),
  })
  .strict();

const common = {
  base_url: z.url({ protocol: /^https?$/ }).optional(),
  api_key: z.string().optional(),
  timeout_ms: num(z.number().int().positive()).default(120_000),
  /** Calls in flight to the upstream at once (one keep-alive connection each); more wait for one. */
  max_connections: num(z.number().int().positive()).default(256),
  /** Who fetches http(s) image URLs: the upstream itself, or Iris (through the guarded fetcher). */
  fetch_urls: z.enum(['upstream', 'iris']).optional(),
  headers: z.record(z.string(), z.string()).default({}),
  image_limits: imageLimitsSchema.optional(),
};

export const providerConfigSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('openai'),
      ...common,
      base_url: z.url({ protocol: /^https?$/ }),
      /** The one name the server reads a client's output limit under (max-tokens-field.ts); unset: as the client sent it. */
      max_tokens_field: z.enum(['max_tokens', 'max_completion_tokens']).optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('anthropic'),
      ...common,
      anthropic_version: z.string().default('2023-06-01'),
      default_max_tokens: num(z.number().int().positive()).default(4096),
      /** Anthropic takes temperature 0..1; OpenAI clients send 0..2. Also whether the sampling settings Claude 4.7+ refuse are left out or refused (anthropic-sampling.ts). */
      temperature: z.enum(['clamp', 'scale', 'refuse']).default('clamp'),
    })
    .strict(),
  z.object({ type: z.literal('gemini'), ...common }).strict(),
]);

export type ProviderConfig = z.infer<typeof providerConfigSchema>;
export type ImageLimitsConfig = z.infer<typeof imageLimitsSchema>;

// `image_tokens: tiles` is short for `image_tokens: { formula: tiles }`.
const imageTokensSchema = z.preprocess((value) => (typeof value === 'string' ? { formula: value } : value), z
  .object({
    formula: z.enum(['tiles', 'patches', 'anthropic', 'gemini', 'none']),
    base: num(z.number().nonnegative()).optional(),
    per_tile: num(z.number().nonnegative()).optional(),
    patch_cap: num(z.number().int().positive()).optional(),
    multiplier: num(z.number().positive()).optional(),
  })
  .strict());

export const modelConfigSchema = z
  .object({
    name: z.string().min(1),
    provider: z.string().min(1),
    /** The id the upstream knows the model by; defaults to name. */
    upstream: z.string().min(1).optional(),
    /** Can the model take images itself? Without vision, images go through analysis mode. */
    vision: bool().default(true),
    image_tokens: imageTokensSchema.optional(),
    /** Price in USD per million tokens, for the cost ledger. */
    price: z
      .object({ input: num(z.number().nonnegative()), output: num(z.number().nonnegative()), cached_input: num(z.number().nonnegative()).optional() })
      .strict()
      .optional(),
  })
  .strict();

export type ModelConfig = z.infer<typeof modelConfigSchema>;
export type ImageTokensConfig = z.infer<typeof imageTokensSchema>;

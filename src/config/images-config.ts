import { z } from 'zod';
import { isHostEntry } from '../images/host-rules.ts';
import { num } from './scalar-fields.ts';

// The image ingest pipeline (src/images/).

// An entry of images.fetch.allow_hosts / deny_hosts: what src/images/host-rules.ts can match.
const hostEntry = z
  .string()
  .trim()
  .refine(isHostEntry, 'must be a host name, *.domain or IP address, with an optional :port 1–65535 (e.g. images.example.com, *.example.com, 10.0.0.5:8080, [::1]:8080); no scheme, path or CIDR range');

export const imagesConfigSchema = z
  .object({
    fetch: z
      .object({
        allow_hosts: z.array(hostEntry).default([]),
        deny_hosts: z.array(hostEntry).default([]),
        max_bytes: num(z.number().int().positive()).default(20_000_000),
        timeout_ms: num(z.number().int().positive()).default(10_000),
        max_redirects: num(z.number().int().min(0).max(20)).default(5),
        user_agent: z.string().default('Iris-ImageFetcher/0.1 (+https://github.com/iris)'),
        /** How long a fetched image is reused when its response has no Cache-Control or Expires. */
        default_ttl_s: num(z.number().int().nonnegative()).default(300),
      })
      .strict()
      .prefault({}),
    max_pixels: num(z.number().int().positive()).default(50_000_000),
    inflight_bytes: num(z.number().int().positive()).default(268_435_456),
    /** How long a request waits for the in-flight budget before 503 + Retry-After. */
    inflight_wait_ms: num(z.number().int().nonnegative()).default(2_000),
    /** Re-encodes (convert/downscale) running at once; default: the CPU count. */
    transform_concurrency: num(z.number().int().positive()).optional(),
    /** How long a re-encode waits for a slot before 503 + Retry-After. */
    transform_wait_ms: num(z.number().int().nonnegative()).default(10_000),
    cache_bytes: num(z.number().int().nonnegative()).default(134_217_728),
  })
  .strict()
  .prefault({});

export type ImagesConfig = z.infer<typeof imagesConfigSchema>;

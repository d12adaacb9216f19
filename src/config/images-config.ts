import { z } from 'zod';
import { bool, num } from './scalar-fields.ts';

// The image ingest pipeline (src/images/).

// An entry of images.fetch.allow_hosts / deny_hosts (src/images/host-rules.ts): a host name,
// `*.domain`, an IP address, each with an optional port. A URL or a CIDR range would match no
// host at all, which in a deny list fails open: refused here instead.
const HOST_ENTRY = /^(\*\.)?[a-z0-9._-]+(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$|^[0-9a-f:]*:[0-9a-f:.]*$/i;
const hostEntry = z
  .string()
  .trim()
  .regex(HOST_ENTRY, 'must be a host name, *.domain or IP address, with an optional :port (e.g. images.example.com, *.example.com, 10.0.0.5:8080, [::1]:8080); no scheme, path or CIDR range')
  .refine(portInRange, 'the port must be 1–65535');

/** `host:port` or `[v6]:port` has a port in range; a bare IPv6 address has no port. */
function portInRange(entry: string): boolean {
  const port = /^(?:\[[^\]]*\]|[^:]*):(\d+)$/.exec(entry)?.[1];
  return port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
}

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

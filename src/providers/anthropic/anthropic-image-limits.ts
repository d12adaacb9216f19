import type { ProviderConfig } from '../../config/providers-config.ts';
import type { ImageLimits } from '../provider.ts';

// What the Messages API takes (wire-formats.md §2e): jpeg/png/gif/webp, by base64 or by URL,
// at most 5 MB per image — counted on the base64 text, so about 3.75 MiB of decoded bytes —
// 8000 px per edge (2000 px when a request has more than 20 images) and 100 images per request.

const FIVE_MIB_BASE64_AS_BYTES = Math.floor((5 * 1024 * 1024 * 3) / 4);

export const ANTHROPIC_IMAGE_LIMITS: ImageLimits = {
  acceptsUrls: true,
  formats: ['jpeg', 'png', 'gif', 'webp'],
  maxBytes: FIVE_MIB_BASE64_AS_BYTES,
  maxEdge: 8000,
  manyImages: { over: 20, maxEdge: 2000 },
  maxImages: 100,
  multiFrame: false,
};

export function anthropicImageLimits(config: Pick<ProviderConfig, 'image_limits'>): ImageLimits {
  const own = config.image_limits ?? {};
  return {
    ...ANTHROPIC_IMAGE_LIMITS,
    ...(own.formats ? { formats: own.formats } : {}),
    ...(own.max_bytes ? { maxBytes: own.max_bytes } : {}),
    ...(own.max_pixels ? { maxPixels: own.max_pixels } : {}),
    ...(own.max_edge ? { maxEdge: own.max_edge } : {}),
    ...(own.max_images ? { maxImages: own.max_images } : {}),
  };
}

import type { ProviderConfig } from '../../config/providers-config.ts';
import type { ImageLimits } from '../provider.ts';

// What the Gemini API takes (wire-formats.md §2f): png/jpeg/webp (heic/heif too, which Iris
// does not produce; GIF is not listed), inline only — the whole request at most 20 MB,
// base64 included, so about 15 MB of image bytes — and up to 3,600 images; files uploaded to
// its File API go by their URL.

/** Files uploaded to Gemini's File API: the only URLs Gemini reads itself (as fileData). */
export const GEMINI_FILE_URL = /^https:\/\/generativelanguage\.googleapis\.com\/v1beta\/files\//;

const TWENTY_MB_BASE64_AS_BYTES = Math.floor((20_000_000 * 3) / 4);

export const GEMINI_IMAGE_LIMITS: ImageLimits = {
  acceptsUrls: false,
  ownUrls: GEMINI_FILE_URL,
  formats: ['jpeg', 'png', 'webp'],
  maxBytes: TWENTY_MB_BASE64_AS_BYTES,
  maxImages: 3600,
  multiFrame: false,
};

export function geminiImageLimits(config: Pick<ProviderConfig, 'image_limits'>): ImageLimits {
  const own = config.image_limits ?? {};
  return {
    ...GEMINI_IMAGE_LIMITS,
    // GIF cannot be allowed by config: Gemini rejects it, so Iris converts it instead.
    ...(own.formats ? { formats: own.formats.filter((f) => f !== 'gif') } : {}),
    ...(own.max_bytes ? { maxBytes: own.max_bytes } : {}),
    ...(own.max_pixels ? { maxPixels: own.max_pixels } : {}),
    ...(own.max_edge ? { maxEdge: own.max_edge } : {}),
    ...(own.max_images ? { maxImages: own.max_images } : {}),
  };
}

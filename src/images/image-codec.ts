import sharp, { type Sharp } from 'sharp';
import type { ImageFormat } from '../providers/provider.ts';
import { decodeBmp } from './bmp-decode.ts';
import type { HeaderProbe } from './header-probe.ts';
import { ImageProblem } from './image-problem.ts';
import type { ImagePlan } from './plan-image.ts';
import { MEDIA_TYPES, type SniffedFormat } from './sniff-format.ts';

// Everything that touches pixels, through sharp: libvips does the work on its own threads,
// off the event loop. Every call carries limitInputPixels as a second guard behind the
// header check, so no path allocates a pixel buffer for a decompression bomb.

// Every image is new, so libvips' operation cache only holds memory: with it, each large
// animated GIF kept ~150 MB alive (RSS 160 MB → 1.3 GB after eight of them, never returned).
sharp.cache(false);

const NAMES: Record<SniffedFormat, string> = { jpeg: 'JPEG', png: 'PNG', webp: 'WebP', gif: 'GIF', tiff: 'TIFF', bmp: 'BMP', avif: 'AVIF', heic: 'HEIC' };

/** Header-only metadata for the formats the tiny parsers do not cover (TIFF, AVIF, HEIC). */
export async function probeWithSharp(bytes: Buffer, format: SniffedFormat): Promise<HeaderProbe> {
  try {
    const m = await sharp(bytes).metadata();
    if (!m.width || !m.height) throw new Error('no size');
    const flat = m.isPalette === true || (m.bitsPerSample !== undefined && m.bitsPerSample <= 2);
    return { width: m.width, height: m.height, multiFrame: (m.pages ?? 1) > 1, hasAlpha: m.hasAlpha ?? null, suspect: false, flat };
  } catch {
    throw undecodable(format);
  }
}

/** For files whose end looks wrong: decode (shrunk on load where the codec can) to be sure. */
export async function verifyDecodable(bytes: Buffer, format: SniffedFormat, maxPixels: number): Promise<void> {
  try {
    await sharp(bytes, { failOn: 'truncated', limitInputPixels: maxPixels }).resize(32, 32, { fit: 'inside' }).raw().toBuffer();
  } catch {
    throw new ImageProblem('invalid_image', `The ${NAMES[format]} image is truncated or corrupt.`);
  }
}

export interface EncodedImage {
  data: Buffer;
  format: ImageFormat;
  mediaType: string;
  width: number;
  height: number;
}

/**
 * One decode, one encode: first frame, orientation applied, downscaled to the plan, in the
 * plan's format. When the result is still over maxBytes, shrink further and lower quality
 * (up to a few rounds) rather than fail.
 */
export async function transformImage(
  bytes: Buffer,
  format: SniffedFormat,
  plan: ImagePlan,
  maxBytes: number,
  maxPixels: number,
): Promise<EncodedImage> {
  const raw = format === 'bmp' ? decodeBmp(bytes) : null;
  // Exact target size (the plan kept the aspect); swapped when EXIF turns the picture.
  const orientation = raw ? 1 : ((await sharp(bytes).metadata().catch(() => null))?.orientation ?? 1);
  const turned = orientation >= 5;
  let width = plan.width;
  let height = plan.height;
  const output = plan.output;
  let quality = 85;
  for (let round = 0; round < 5; round++) {
    try {
      let pipeline: Sharp = raw
        ? sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } })
        : sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error', animated: false });
      pipeline = pipeline.autoOrient();
      if (width !== plan.sourceWidth || height !== plan.sourceHeight) {
        pipeline = pipeline.resize(turned ? height : width, turned ? width : height, { fit: 'fill' });
      }
      pipeline = encode(pipeline, output, quality);
      const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
      if (data.length <= maxBytes) {
        return { data, format: output, mediaType: MEDIA_TYPES[output], width: info.width, height: info.height };
      }
      // Too big: lower the quality and shrink by the overshoot.
      quality = Math.max(60, quality - 10);
      const shrink = Math.min(0.9, Math.sqrt(maxBytes / data.length) * 0.95);
      width = Math.max(1, Math.floor(width * shrink));
      height = Math.max(1, Math.floor(height * shrink));
    } catch (err) {
      if (err instanceof ImageProblem) throw err;
      throw undecodable(format, err);
    }
  }
  throw new ImageProblem('image_too_large', `The image could not be brought under ${Math.floor(maxBytes / 1_000_000)} MB for this model.`);
}

function encode(pipeline: Sharp, format: ImageFormat, quality: number): Sharp {
  switch (format) {
    case 'jpeg':
      return pipeline.flatten({ background: '#ffffff' }).jpeg({ quality, mozjpeg: false });
    case 'png':
      return pipeline.png({ compressionLevel: 6 });
    case 'webp':
      return pipeline.webp({ quality });
    case 'gif':
      return pipeline.gif();
  }
}

function undecodable(format: SniffedFormat, cause?: unknown): ImageProblem {
  const message = cause instanceof Error ? cause.message : '';
  if (/pixel limit/i.test(message)) return new ImageProblem('image_too_large', 'The image has more pixels than this server accepts.');
  if (format === 'heic') {
    return new ImageProblem('unsupported_image_media_type', 'HEIC images cannot be decoded by this server; send JPEG, PNG or WebP.');
  }
  return new ImageProblem('invalid_image', `The ${NAMES[format]} image is truncated or corrupt.`);
}

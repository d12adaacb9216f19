import type { ImageDetail } from '../openai/types.ts';
import type { AcceptedFormat, ImageFormat, ImageLimits } from '../providers/provider.ts';
import { LOW_DETAIL_EDGE } from './image-tokens.ts';
import type { SniffedFormat } from './sniff-format.ts';

// What must happen to one image so the upstream accepts it: nothing (the client's bytes go
// on as they are), or one re-encode that converts, takes the first frame and/or downscales
// (aspect kept) — decided from the probe alone, before any pixel is decoded.

export interface ImageFacts {
  format: SniffedFormat;
  width: number;
  height: number;
  multiFrame: boolean;
  hasAlpha: boolean | null;
  bytes: number;
  /** EXIF orientation 2–8: stored turned or mirrored (absent when upright). */
  orientation?: number;
  /** Few colours: a palette or black-and-white image (see header-probe.ts). */
  flat?: boolean;
}

export type PlanReason = 'format' | 'first_frame' | 'orientation' | 'edge' | 'pixels' | 'low_detail' | 'bytes' | 'model_size';

export interface ImagePlan {
  /** Empty: send the original bytes. */
  reasons: PlanReason[];
  output: ImageFormat;
  /** Target size when downscaling, else the original size. */
  width: number;
  height: number;
  sourceWidth: number;
  sourceHeight: number;
}

const ALL_FORMATS: ImageFormat[] = ['jpeg', 'png', 'webp', 'gif'];

/**
 * `lowEdge`: the longest edge a `detail: low` image is seen at (lowDetailEdge() in
 * image-tokens.ts): sending more is waste. `seen`: the size the target model looks at an image
 * of this size, where its vendor is known to bring larger ones down to it (seenSize() in
 * image-tokens.ts).
 */
export function planImage(
  facts: ImageFacts,
  limits: ImageLimits,
  detail: ImageDetail | undefined,
  lowEdge = LOW_DETAIL_EDGE,
  seen?: (width: number, height: number) => { width: number; height: number } | null,
): ImagePlan {
  const taken: AcceptedFormat[] = limits.formats.length > 0 ? limits.formats : ALL_FORMATS;
  // What Iris can write of what the provider takes, for an image it has to re-encode.
  const writable = taken.filter(isWritable);
  const formats = writable.length > 0 ? writable : ALL_FORMATS;
  const reasons: PlanReason[] = [];
  const accepted = (taken as string[]).includes(facts.format);
  if (!accepted) reasons.push('format');
  const firstFrame = facts.multiFrame && !limits.multiFrame;
  if (firstFrame) reasons.push('first_frame');
  // Turned upright: not every model server reads EXIF (Ollama's and llama.cpp's loaders do not),
  // and one that does not would see the picture sideways or mirrored.
  if (facts.orientation && facts.orientation >= 2 && facts.orientation <= 8) reasons.push('orientation');

  const { width: w, height: h } = facts;
  const longest = Math.max(w, h);
  let scale = 1;
  if (limits.maxEdge && longest > limits.maxEdge) {
    reasons.push('edge');
    scale = Math.min(scale, limits.maxEdge / longest);
  }
  if (limits.maxPixels && w * h > limits.maxPixels) {
    reasons.push('pixels');
    scale = Math.min(scale, Math.sqrt(limits.maxPixels / (w * h)));
  }
  if (detail === 'low' && longest > lowEdge) {
    reasons.push('low_detail');
    scale = Math.min(scale, lowEdge / longest);
  }
  if (facts.bytes > limits.maxBytes) reasons.push('bytes');

  let output: ImageFormat;
  if (accepted && isWritable(facts.format) && !(firstFrame && facts.format === 'gif')) output = facts.format;
  else output = pickOutput(facts, formats);
  if (reasons.includes('bytes')) output = lossyFor(output, facts, formats);
  let width = scale < 1 ? Math.max(1, Math.floor(w * scale + 1e-9)) : w;
  let height = scale < 1 ? Math.max(1, Math.floor(h * scale + 1e-9)) : h;
  // A side rounded up to 1 px (a thin strip) leaves the other too long for the pixel limit.
  if (limits.maxPixels && width * height > limits.maxPixels) {
    if (width <= height) height = Math.max(1, Math.floor(limits.maxPixels / width));
    else width = Math.max(1, Math.floor(limits.maxPixels / height));
  }
  // An image decoded and encoded anyway goes at no more than the size the model sees: the
  // vendor would bring it down to that itself, so the rest is upload and encoding time spent
  // for nothing (a 12 MP phone photo turned upright for gpt-4o: 1024×768, not 4032×3024). An
  // image sent as it came stays as it came: shrinking it would cost a decode it does not need.
  const model = reasons.length > 0 ? seen?.(w, h) : null;
  if (model && model.width * model.height < width * height) {
    reasons.push('model_size');
    width = model.width;
    height = model.height;
  }
  return { reasons, output, width, height, sourceWidth: w, sourceHeight: h };
}

function isWritable(format: string): format is ImageFormat {
  return (ALL_FORMATS as string[]).includes(format);
}

/**
 * PNG and GIF have no quality to lower, so an oversized one could only shrink in pixels; a
 * lossy format the upstream takes keeps its full size instead: JPEG when opaque, WebP when it
 * has transparency (JPEG would flatten it).
 */
function lossyFor(output: ImageFormat, facts: ImageFacts, formats: ImageFormat[]): ImageFormat {
  if (output !== 'png' && output !== 'gif') return output;
  const lossy: ImageFormat = facts.hasAlpha === false ? 'jpeg' : 'webp';
  return formats.includes(lossy) ? lossy : output;
}

/**
 * A converted image becomes JPEG when it is an opaque photo (from HEIC/AVIF/TIFF: small), PNG
 * when it has transparency or few colours (a GIF, a palette, a black-and-white scan: exact,
 * and smaller than JPEG, whose artefacts blur text), else whatever the upstream takes.
 */
function pickOutput(facts: ImageFacts, formats: ImageFormat[]): ImageFormat {
  const lossless = facts.hasAlpha || facts.flat || facts.format === 'gif';
  const order: ImageFormat[] = lossless ? ['png', 'webp', 'jpeg', 'gif'] : ['jpeg', 'webp', 'png', 'gif'];
  return order.find((f) => formats.includes(f)) ?? formats[0];
}

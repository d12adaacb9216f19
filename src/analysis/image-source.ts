import { createHash } from 'node:crypto';
import type { PreparedImage } from '../images/image-pipeline.ts';
import { parseDataUrl } from '../providers/upstream/parse-data-url.ts';
import type { FoundImage } from './find-images.ts';

// What the analysis model is sent for one image, and the content hash that keys its cache
// entry. The image pipeline has normally fetched or decoded the bytes already; where it held
// none (a pipeline that passes URLs through), a data URL is decoded here, and a remote URL
// is sent on as it is, uncached, since without its bytes there is nothing to key it by.

export interface ImageSource {
  /** sha256 of the image's bytes, or null when Iris does not hold them. */
  sha256: string | null;
  /** The URL for the analysis request: a data URL of the prepared bytes where possible. */
  url: string;
}

export function imageSource(image: FoundImage, prepared: PreparedImage | undefined): ImageSource {
  if (prepared?.data) {
    const sha256 = prepared.sha256 ?? sha256Hex(prepared.data);
    const mediaType = prepared.mediaType ?? 'application/octet-stream';
    return { sha256, url: `data:${mediaType};base64,${prepared.data.toString('base64')}` };
  }
  if (prepared?.sha256) return { sha256: prepared.sha256, url: image.url };
  const inline = parseDataUrl(image.url);
  if (inline) return { sha256: sha256Hex(Buffer.from(inline.base64, 'base64')), url: image.url };
  return { sha256: null, url: image.url };
}

function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

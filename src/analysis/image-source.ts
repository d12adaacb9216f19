import { createHash } from 'node:crypto';
import type { PreparedImage } from '../images/image-pipeline.ts';
import { parseDataUrl } from '../providers/upstream/parse-data-url.ts';
import type { FoundImage } from './find-images.ts';

// What the analysis model is sent for one image, and the content hash that keys its cache
// entry. The image pipeline has normally fetched or decoded the bytes already and rewritten
// the URL as a data URL fit for the analysis model; where it held none (a pipeline that
// passes URLs through), a data URL is decoded here, and a remote URL is sent on as it is,
// uncached, since without its bytes there is nothing to key it by.

export interface ImageSource {
  /** sha256 of the image's bytes, or null when Iris does not hold them. */
  sha256: string | null;
  /** The URL for the analysis request: a data URL where Iris holds the bytes. */
  url: string;
}

/** `preparedUrl` is the image's URL in the pipeline's rewritten request. */
export function imageSource(image: FoundImage, prepared: PreparedImage | undefined, preparedUrl: string | undefined): ImageSource {
  const inline = (url: string | undefined) => (url !== undefined && url.startsWith('data:') ? url : undefined);
  const data = prepared?.data ?? null;
  const sha256 = prepared?.sha256 ?? (data ? sha256Hex(data) : null);
  if (sha256) {
    const url = inline(preparedUrl) ?? (data ? `data:${prepared?.mediaType ?? 'application/octet-stream'};base64,${data.toString('base64')}` : (preparedUrl ?? image.url));
    return { sha256, url };
  }
  const decoded = parseDataUrl(image.url);
  if (decoded) return { sha256: sha256Hex(Buffer.from(decoded.base64, 'base64')), url: image.url };
  return { sha256: null, url: preparedUrl ?? image.url };
}

function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

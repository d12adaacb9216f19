import { ImageProblem } from './image-problem.ts';

// Image data URLs: `data:<type>[;params];base64,<payload>`. Strict: the payload is plain
// base64 (A–Z a–z 0–9 + /, `=` padding only at the end, no whitespace, no URL-safe alphabet).
// Node's decoder is lenient (it skips what it does not know), so strictness comes from the
// length: every skipped character would shorten the output, which is checked exactly. That
// costs one SIMD decode and no regex over megabytes.

export interface DecodedDataUrl {
  /** The media type the client declared; informational only (types come from the bytes). */
  declaredType: string;
  /** Index in the URL where the base64 payload starts. */
  payloadStart: number;
  bytes: Buffer;
}

export function isDataUrl(url: string): boolean {
  return url.length >= 5 && url.slice(0, 5).toLowerCase() === 'data:';
}

/** Decoded size of a data URL's payload, from its length alone (before decoding). */
export function dataUrlByteLength(url: string): number {
  const comma = url.indexOf(',');
  return comma < 0 ? 0 : Math.floor(((url.length - comma - 1) * 3) / 4);
}

/**
 * With `into`, the bytes are decoded into that buffer (a reused scratch buffer at least
 * dataUrlByteLength(url) long) and returned as a view of it: no allocation per image.
 */
export function decodeDataUrl(url: string, into?: Buffer): DecodedDataUrl {
  const comma = url.indexOf(',');
  if (!isDataUrl(url) || comma < 0) {
    throw new ImageProblem('invalid_base64_image', 'The image data URL is malformed: expected data:image/<type>;base64,<data>.');
  }
  const header = url.slice(5, comma);
  const params = header.split(';').map((p) => p.trim().toLowerCase());
  if (!params.includes('base64')) {
    throw new ImageProblem('invalid_base64_image', 'Image data URLs must be base64-encoded (data:image/<type>;base64,…).');
  }
  const payloadStart = comma + 1;
  const length = url.length - payloadStart;
  if (length === 0) throw new ImageProblem('invalid_base64_image', 'The image data URL has no data.');
  if (length % 4 !== 0) {
    throw new ImageProblem('invalid_base64_image', 'The image data is not valid base64: its length is not a multiple of 4 (whitespace or truncated data?).');
  }
  const payload = payloadStart === 0 ? url : url.slice(payloadStart);
  // The two characters Node accepts beyond the standard alphabet.
  if (payload.indexOf('-') >= 0 || payload.indexOf('_') >= 0) {
    throw new ImageProblem('invalid_base64_image', 'The image data is not valid base64: it uses the URL-safe alphabet (- or _).');
  }
  const padding = payload.endsWith('==') ? 2 : payload.endsWith('=') ? 1 : 0;
  const bytes = into && into.length >= (length / 4) * 3 ? into.subarray(0, into.write(payload, 0, 'base64')) : Buffer.from(payload, 'base64');
  if (bytes.length !== (length / 4) * 3 - padding) {
    throw new ImageProblem('invalid_base64_image', 'The image data is not valid base64: it contains characters outside the base64 alphabet.');
  }
  return { declaredType: params[0] ?? '', payloadStart, bytes };
}

export function toDataUrl(mediaType: string, bytes: Buffer): string {
  return `data:${mediaType};base64,${bytes.toString('base64')}`;
}

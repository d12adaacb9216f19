import { ImageProblem } from './image-problem.ts';

// Image data URLs: `data:<type>[;params];base64,<payload>`. Strict: the payload is plain
// base64 (A–Z a–z 0–9 + /, `=` padding only at the end, no whitespace, no URL-safe alphabet).
// Node's decoder is lenient (it skips what it does not know), so strictness comes from the
// length: every skipped character would shorten the output, which is checked exactly. That
// costs one SIMD decode and no regex over megabytes.
//
// A data URL is a string, or the client's bytes of it when the body parser kept a long one
// out of JSON.parse (src/json/verbatim-strings.ts). Bytes are decoded piecewise, through
// short strings that die young, so a megabyte URL never becomes a megabyte string.

/** A data URL as a string, or as its bytes (one byte per character). */
export type DataUrlText = string | Buffer;

export interface DecodedDataUrl {
  /** The media type the client declared; informational only (types come from the bytes). */
  declaredType: string;
  /** Index in the URL where the base64 payload starts. */
  payloadStart: number;
  bytes: Buffer;
}

/** Base64 characters decoded per piece: a multiple of 4, and a string small enough for V8's young generation. */
const PIECE_CHARS = 64 * 1024;
const EQUALS = 0x3d;

/** Characters `from`..`to` of the URL as a string. */
export function dataUrlSlice(url: DataUrlText, from: number, to = url.length): string {
  return typeof url === 'string' ? url.slice(from, to) : url.toString('latin1', from, to);
}

export function isDataUrl(url: DataUrlText): boolean {
  return url.length >= 5 && dataUrlSlice(url, 0, 5).toLowerCase() === 'data:';
}

/** Decoded size of a data URL's payload, from its length alone (before decoding). */
export function dataUrlByteLength(url: DataUrlText): number {
  const comma = url.indexOf(',');
  return comma < 0 ? 0 : Math.floor(((url.length - comma - 1) * 3) / 4);
}

/**
 * With `into`, the bytes are decoded into that buffer (a reused scratch buffer at least
 * dataUrlByteLength(url) long) and returned as a view of it: no allocation per image.
 */
export function decodeDataUrl(url: DataUrlText, into?: Buffer): DecodedDataUrl {
  const comma = url.indexOf(',');
  if (!isDataUrl(url) || comma < 0) {
    throw new ImageProblem('invalid_base64_image', 'The image data URL is malformed: expected data:image/<type>;base64,<data>.');
  }
  const params = dataUrlSlice(url, 5, comma).split(';').map((p) => p.trim().toLowerCase());
  if (!params.includes('base64')) {
    throw new ImageProblem('invalid_base64_image', 'Image data URLs must be base64-encoded (data:image/<type>;base64,…).');
  }
  const payloadStart = comma + 1;
  const length = url.length - payloadStart;
  if (length === 0) throw new ImageProblem('invalid_base64_image', 'The image data URL has no data.');
  if (length % 4 !== 0) {
    throw new ImageProblem('invalid_base64_image', 'The image data is not valid base64: its length is not a multiple of 4 (whitespace or truncated data?).');
  }
  // The two characters Node accepts beyond the standard alphabet.
  if (url.indexOf('-', payloadStart) >= 0 || url.indexOf('_', payloadStart) >= 0) {
    throw new ImageProblem('invalid_base64_image', 'The image data is not valid base64: it uses the URL-safe alphabet (- or _).');
  }
  const padding = codeAt(url, url.length - 1) !== EQUALS ? 0 : codeAt(url, url.length - 2) === EQUALS ? 2 : 1;
  const full = (length / 4) * 3;
  const out = into && into.length >= full ? into : Buffer.allocUnsafe(full);
  const written = decodeBase64(url, payloadStart, out);
  if (written !== full - padding) {
    throw new ImageProblem('invalid_base64_image', 'The image data is not valid base64: it contains characters outside the base64 alphabet.');
  }
  return { declaredType: params[0] ?? '', payloadStart, bytes: out.subarray(0, written) };
}

function codeAt(url: DataUrlText, i: number): number {
  return typeof url === 'string' ? url.charCodeAt(i) : url[i];
}

/** Decodes url[from..] into out; the number of bytes written, or -1 when a piece short of the end decodes short. */
function decodeBase64(url: DataUrlText, from: number, out: Buffer): number {
  if (typeof url === 'string') return out.write(from === 0 ? url : url.slice(from), 0, 'base64');
  let written = 0;
  for (let at = from; at < url.length; at += PIECE_CHARS) {
    const end = Math.min(at + PIECE_CHARS, url.length);
    const n = out.write(url.toString('latin1', at, end), written, 'base64');
    // Only the last piece may hold padding; any other that decodes short held a stray character.
    if (end < url.length && n !== ((end - at) / 4) * 3) return -1;
    written += n;
  }
  return written;
}

export function toDataUrl(mediaType: string, bytes: Buffer): string {
  return `data:${mediaType};base64,${bytes.toString('base64')}`;
}

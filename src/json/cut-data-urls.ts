import type { RawBody } from './raw-body.ts';
import { MIN_VERBATIM_CHARS, placeholder, placeholderIndex, type VerbatimString } from './verbatim-strings.ts';

// Parsing side of verbatim strings: find long `"data:…"` strings in a raw JSON body and hand
// JSON.parse a skeleton with placeholders, which stay in the parsed request. Only image URLs
// (messages[i].content[j].image_url.url) may hold a placeholder; if one ends up anywhere else,
// or anything looks unusual, the caller parses the whole body the plain way.
//
// Why a cut string's bytes are its JSON text: it runs from an unescaped quote to the next
// quote with no backslash in between, so it has no escapes; its header (up to the comma) is
// checked here to be printable ASCII; its payload is checked by the image pipeline, whose
// strict base64 decoder refuses any byte outside the base64 alphabet (control characters and
// non-ASCII included) before anything is sent upstream.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPENING = Buffer.from('"data:');
const MAX_HEADER_BYTES = 256;

interface Span {
  /** Index of the opening quote. */
  start: number;
  /** Index of the closing quote. */
  end: number;
}

export interface CutBody {
  /** The body's JSON text with each long data URL replaced by a placeholder string. */
  skeleton: string;
  spans: Span[];
  body: Buffer;
}

/** Null when the body holds no long data URL worth cutting out. */
export function cutLongDataUrls(body: Buffer): CutBody | null {
  if (body.length < MIN_VERBATIM_CHARS) return null;
  const spans: Span[] = [];
  let from = 0;
  for (;;) {
    const start = body.indexOf(OPENING, from);
    if (start < 0) break;
    const end = body.indexOf(QUOTE, start + 1);
    if (end < 0) break;
    from = end + 1;
    if (end - start - 1 < MIN_VERBATIM_CHARS) continue;
    if (isEscaped(body, start)) continue;
    if (body.subarray(start + 1, end).indexOf(BACKSLASH) >= 0) continue;
    if (!hasPlainHeader(body, start + 1, end)) continue;
    spans.push({ start, end });
  }
  if (spans.length === 0) return null;
  const pieces: string[] = [];
  let at = 0;
  spans.forEach((span, i) => {
    // Cuts fall on ASCII quotes, so no UTF-8 sequence is split.
    pieces.push(body.toString('utf8', at, span.start), JSON.stringify(placeholder(i)));
    at = span.end + 1;
  });
  pieces.push(body.toString('utf8', at));
  return { skeleton: pieces.join(''), spans, body };
}

/**
 * The cut strings of the parsed skeleton, indexed as their placeholders are, or null when a
 * placeholder is missing, repeated or outside an image URL.
 */
export function matchPlaceholders(value: unknown, cut: CutBody, owner?: RawBody): VerbatimString[] | null {
  const restored: (VerbatimString | undefined)[] = new Array(cut.spans.length);
  let count = 0;
  const messages = (value as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages)) return null;
  for (const message of messages) {
    const content = (message as { content?: unknown } | null)?.content;
    if (!Array.isArray(content)) continue;
    for (const part of content) {
      const image = (part as { type?: unknown; image_url?: { url?: unknown } } | null)?.image_url;
      if (typeof image?.url !== 'string' || (part as { type?: unknown }).type !== 'image_url') continue;
      const index = placeholderIndex(image.url);
      if (index < 0) continue;
      if (index >= cut.spans.length || restored[index]) return null;
      const { start, end } = cut.spans[index];
      // The payload is base64-checked by the image pipeline, on these bytes.
      restored[index] = { placeholder: image.url, json: cut.body.subarray(start + 1, end), body: owner };
      count++;
    }
  }
  return count === cut.spans.length ? (restored as VerbatimString[]) : null;
}

/** True when the quote at `at` is preceded by an odd number of backslashes (so inside a string). */
function isEscaped(body: Buffer, at: number): boolean {
  let n = 0;
  while (at - n - 1 >= 0 && body[at - n - 1] === BACKSLASH) n++;
  return n % 2 === 1;
}

/** `data:<type>[;params],` in printable ASCII, within a few hundred bytes. */
function hasPlainHeader(body: Buffer, from: number, end: number): boolean {
  const limit = Math.min(end, from + MAX_HEADER_BYTES);
  for (let i = from; i < limit; i++) {
    const c = body[i];
    if (c === COMMA) return true;
    if (c < 0x20 || c > 0x7e) return false;
  }
  return false;
}

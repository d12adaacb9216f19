import { randomBytes } from 'node:crypto';
import type { RawBody } from './raw-body.ts';

// Long image data URLs travel through Iris as the client's own JSON bytes. Parsing a 1 MB
// string out of JSON, turning it into a JS string and stringifying it again costs
// milliseconds and megabytes of copies (each one feeding the garbage collector), all to
// reproduce the bytes the client already sent. So the body parser cuts such strings out
// before JSON.parse and leaves a short placeholder in their place (image_url.url). The image
// pipeline reads the bytes behind a placeholder, the OpenAI-compatible upstream serializer
// writes them back in its place, and every other reader gets the plain string first
// (src/json/expand-placeholders.ts).

/** A long string of the client's body: the placeholder standing for it in the parsed request, and its bytes. */
export interface VerbatimString {
  placeholder: string;
  /** The client's JSON text of the string, without quotes (no escapes: its very characters). */
  json: Buffer;
  /** The body `json` is a view of (the same for all strings of a request), held by whoever writes these bytes. */
  body?: RawBody;
}

/** Strings shorter than this go through JSON.parse/stringify: cutting would not pay. */
export const MIN_VERBATIM_CHARS = 32 * 1024;

// A per-process random prefix: a client cannot plant a placeholder of its own. It is itself
// a (data-less) data URL, so a reader that forgot to expand it fails on an empty image
// rather than sending anything made up.
const PLACEHOLDER = `data:,iris-verbatim-${randomBytes(9).toString('base64url')}-`;
const QUOTED = `"${PLACEHOLDER}`;
const MAX_DIGITS = 6;

export function placeholder(index: number): string {
  return PLACEHOLDER + index;
}

/** The index a placeholder stands for, or -1 when the string is not one. */
export function placeholderIndex(value: string): number {
  if (value.length > PLACEHOLDER.length + MAX_DIGITS || !value.startsWith(PLACEHOLDER)) return -1;
  const digits = value.slice(PLACEHOLDER.length);
  return /^\d{1,6}$/.test(digits) ? Number(digits) : -1;
}

/** The verbatim string `value` stands for when it is one of this request's placeholders. */
export function verbatimStringOf(value: string, verbatim: readonly VerbatimString[] | undefined): VerbatimString | undefined {
  if (!verbatim?.length) return undefined;
  const index = placeholderIndex(value);
  return index < 0 ? undefined : verbatim[index];
}

/** The client's bytes behind `value` when it is one of this request's placeholders. */
export function verbatimBytes(value: string, verbatim: readonly VerbatimString[] | undefined): Buffer | undefined {
  return verbatimStringOf(value, verbatim)?.json;
}

/** The string a verbatim string stands for (latin1 maps each byte to the same code point). */
export function verbatimText(string: VerbatimString): string {
  return string.json.toString('latin1');
}

/**
 * The next placeholder written as a JSON string in `text` from `from` on: where its quotes
 * are and which index it holds; null when there is none.
 */
export function findQuotedPlaceholder(text: string, from: number): { open: number; close: number; index: number } | null {
  const open = text.indexOf(QUOTED, from);
  if (open < 0) return null;
  const close = text.indexOf('"', open + QUOTED.length);
  const index = close < 0 ? -1 : placeholderIndex(text.slice(open + 1, close));
  if (index < 0) throw new Error('findQuotedPlaceholder: a malformed placeholder'); // only Iris writes the prefix
  return { open, close, index };
}

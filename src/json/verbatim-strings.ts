import { randomBytes } from 'node:crypto';

// Long image data URLs travel through Iris as the client's own JSON bytes. Parsing a 1 MB
// string out of JSON and stringifying it again costs milliseconds and several megabytes of
// copies, all to reproduce the bytes the client already sent. So the body parser cuts such
// strings out before JSON.parse (leaving a short placeholder), and the upstream serializer
// splices the same bytes back in wherever the very same string value is sent on.

/** A string value of the request and the exact JSON text (without quotes) the client sent for it. */
export interface VerbatimString {
  value: string;
  json: Buffer;
}

/** Strings shorter than this go through JSON.parse/stringify: splicing would not pay. */
export const MIN_VERBATIM_CHARS = 32 * 1024;

// A per-process random prefix: a client cannot plant a placeholder of its own.
const PLACEHOLDER = `data:,iris-verbatim-${randomBytes(9).toString('base64url')}-`;

export function placeholder(index: number): string {
  return PLACEHOLDER + index;
}

/** The index a placeholder stands for, or -1 when the string is not one. */
export function placeholderIndex(value: string): number {
  if (value.length > PLACEHOLDER.length + 6 || !value.startsWith(PLACEHOLDER)) return -1;
  const digits = value.slice(PLACEHOLDER.length);
  return /^\d{1,6}$/.test(digits) ? Number(digits) : -1;
}

import { MIN_VERBATIM_CHARS, placeholder, type VerbatimString } from './verbatim-strings.ts';

// Serializing side of verbatim strings: JSON text for an outgoing body, with every string
// that is (===) one the client sent as a long data URL written as the client's own bytes
// instead of being escaped again. Without verbatim strings this is JSON.stringify.

export interface SerializedJson {
  /** The body as pieces to write in order (views of the client's body are not copied). */
  pieces: Buffer[];
  length: number;
}

export function serializeJson(value: unknown, verbatim: readonly VerbatimString[] | undefined): string | SerializedJson {
  if (!verbatim?.length) return JSON.stringify(value);
  const used: VerbatimString[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'string' || v.length < MIN_VERBATIM_CHARS) return v;
    const match = verbatim.find((s) => s.value === v);
    if (!match) return v;
    used.push(match);
    return placeholder(used.length - 1);
  });
  if (used.length === 0) return text;
  const pieces: Buffer[] = [];
  let at = 0;
  used.forEach((string, i) => {
    // The placeholder is plain ASCII, so JSON.stringify wrote it as is, between quotes.
    const token = placeholder(i);
    const mark = text.indexOf(`"${token}"`, at) + 1;
    if (mark === 0) throw new Error('serializeJson: a placeholder went missing'); // cannot happen: plain ASCII
    pieces.push(Buffer.from(text.slice(at, mark)), string.json);
    at = mark + token.length;
  });
  pieces.push(Buffer.from(text.slice(at)));
  return { pieces, length: pieces.reduce((sum, piece) => sum + piece.length, 0) };
}

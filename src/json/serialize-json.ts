import { stringifyClientJson } from './stringify-client-json.ts';
import { findQuotedPlaceholder, type VerbatimString } from './verbatim-strings.ts';

// Serializing side of verbatim strings: JSON text for an outgoing body, with every
// placeholder of the client's long data URLs written as the client's own bytes. Without
// placeholders this is JSON.stringify.

export interface SerializedJson {
  /** The body as pieces to write in order (views of the client's body are not copied). */
  pieces: Buffer[];
  length: number;
}

export function serializeJson(value: unknown, verbatim: readonly VerbatimString[] | undefined): string | SerializedJson {
  const text = stringifyClientJson(value);
  // The placeholder prefix is random per process and only Iris writes it, so any occurrence
  // is a placeholder. It is plain ASCII: JSON.stringify wrote it as is, between quotes.
  let found = findQuotedPlaceholder(text, 0);
  if (!found) return text;
  const pieces: Buffer[] = [];
  let at = 0;
  while (found) {
    const string = verbatim?.[found.index];
    // Never send a placeholder on: that would lose the client's image without a word.
    if (!string) throw new Error('serializeJson: a placeholder without its verbatim string');
    pieces.push(Buffer.from(text.slice(at, found.open + 1)), string.json);
    at = found.close;
    found = findQuotedPlaceholder(text, at + 1);
  }
  pieces.push(Buffer.from(text.slice(at)));
  return { pieces, length: pieces.reduce((sum, piece) => sum + piece.length, 0) };
}

/**
 * A long text as its start and its end, joined by ' … ' (where a question in a pasted
 * document usually is); a text within `head + tail` characters (and a little) as it is. Whole
 * code points: a cut through a surrogate pair would leave half a character.
 */
export function headAndTail(text: string, head: number, tail: number): string {
  if (text.length <= head + tail + 10) return text;
  const chars = Array.from(text);
  if (chars.length <= head + tail + 10) return text;
  return `${chars.slice(0, head).join('').trimEnd()} … ${chars.slice(-tail).join('').trimStart()}`;
}

// OCR character accuracy: 1 − (edit distance / length of the expected text), on texts
// normalised for whitespace (line breaks and runs of spaces count as one space), floored at 0.

export function normaliseText(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (!a.length) return b.length;
  if (!b.length) return a.length;
  let previous = new Array<number>(b.length + 1);
  let current = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) previous[j] = j;
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length]!;
}

export function charAccuracy(expected: string, actual: string): number {
  const want = normaliseText(expected);
  const got = normaliseText(actual);
  if (!want.length) return got.length ? 0 : 1;
  return Math.max(0, 1 - editDistance(want, got) / want.length);
}

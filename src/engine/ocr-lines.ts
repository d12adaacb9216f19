import type { TextFinding } from './findings.ts';

// Keeps the words tesseract is sure of. Icons and photos make it emit confident-looking junk
// ("©", "m™", "(7B)") at low word confidence, while real print scores 80–96.

export interface OcrWord {
  text: string;
  confidence: number;
}
export interface OcrLine {
  words: OcrWord[];
}

const MIN_WORD = 60;
/** Words with no letter or digit (symbols, punctuation) must be surer still. */
const MIN_SYMBOL_WORD = 85;
/** When OCR ran only because the image looked like text, a line must be convincing as a whole. */
const MIN_LINE_AUTO = 70;

export function keepOcrLines(lines: OcrLine[], strict: boolean): TextFinding | null {
  const kept: string[] = [];
  let sum = 0;
  let n = 0;
  for (const line of lines) {
    const words = line.words.filter((w) => {
      const text = w.text.trim();
      if (!text) return false;
      const wordy = /[\p{L}\p{N}]/u.test(text);
      return w.confidence >= (wordy ? MIN_WORD : MIN_SYMBOL_WORD);
    });
    if (!words.length) continue;
    const mean = words.reduce((s, w) => s + w.confidence, 0) / words.length;
    // A line must hold a real word (two letters/digits in a row), not a stray mark.
    if (!words.some((w) => /[\p{L}\p{N}]{2,}/u.test(w.text))) continue;
    if (strict && mean < MIN_LINE_AUTO) continue;
    kept.push(words.map((w) => w.text.trim()).join(' '));
    sum += words.reduce((s, w) => s + w.confidence, 0);
    n += words.length;
  }
  return kept.length ? { lines: kept, confidence: Math.round(sum / n) } : null;
}

import type { Sharp } from 'sharp';
import type { Worker } from 'tesseract.js';
import type { TextFinding } from '../findings.ts';
import { keepOcrLines, type OcrLine } from '../ocr-lines.ts';

// Document text with tesseract. The image goes in as 8-bit greyscale PGM (no compression to
// pay for on either side), dark-on-light (light text on a dark or coloured ground is
// inverted, which tesseract reads far better), and at most OCR_EDGE pixels on its long side.

export const OCR_EDGE = 2400;

export async function readText(tesseract: Worker, upright: Sharp, strict: boolean): Promise<TextFinding | null> {
  const { data, info } = await upright
    .clone()
    .resize({ width: OCR_EDGE, height: OCR_EDGE, fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#ffffff' })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i]!;
  if (sum / data.length < 128) for (let i = 0; i < data.length; i++) data[i] = 255 - data[i]!;
  const pgm = Buffer.concat([Buffer.from(`P5\n${info.width} ${info.height}\n255\n`), data]);
  const result = await tesseract.recognize(pgm, {}, { text: false, blocks: true });
  const lines: OcrLine[] = [];
  for (const block of result.data.blocks ?? []) {
    for (const paragraph of block.paragraphs) {
      for (const line of paragraph.lines) lines.push({ words: line.words.map((w) => ({ text: w.text, confidence: w.confidence })) });
    }
  }
  return keepOcrLines(lines, strict);
}

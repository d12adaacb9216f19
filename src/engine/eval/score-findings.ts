import type { ImageFindings } from '../findings.ts';
import { charAccuracy } from './char-accuracy.ts';

// Scores what the engine saw in one image against a label (the form of labels.json):
// classes found and missed, counts within their [min, max] range, classes invented (naming
// an `optional` class or an alias of a labelled one is not invention), faces, OCR accuracy.

export interface ImageLabel {
  objects?: Record<string, [number, number]>;
  aliases?: Record<string, string[]>;
  optional?: string[];
  faces?: number;
  text?: string[];
  [extra: string]: unknown;
}

export interface ImageScore {
  image: string;
  found: string[];
  missed: string[];
  /** Expected classes whose count fell outside the range, as "horse 3 (4–6)". */
  countErrors: string[];
  countsInRange: boolean;
  invented: string[];
  faces: { expected: number; seen: number } | null;
  /** 0..1, when the label has text. */
  ocrAccuracy: number | null;
  ms: number;
}

export function scoreImage(image: string, label: ImageLabel, f: ImageFindings): ImageScore {
  const seen = new Map(f.objects.map((o) => [o.label, o.count]));
  const expected = label.objects ?? {};
  const aliases = label.aliases ?? {};
  const explained = new Set<string>(label.optional ?? []);
  const found: string[] = [];
  const missed: string[] = [];
  const countErrors: string[] = [];
  for (const [cls, [min, max]] of Object.entries(expected)) {
    const names = [cls, ...(aliases[cls] ?? [])];
    names.forEach((n) => explained.add(n));
    const count = names.reduce((s, n) => s + (seen.get(n) ?? 0), 0);
    if (count > 0) found.push(cls);
    else missed.push(cls);
    if (count < min || count > max) countErrors.push(`${cls} ${count} (${min === max ? min : `${min}–${max}`})`);
  }
  const invented = [...seen.keys()].filter((n) => !explained.has(n));
  const ocrAccuracy = label.text ? charAccuracy(label.text.join('\n'), f.text?.lines.join('\n') ?? '') : null;
  return {
    image,
    found,
    missed,
    countErrors,
    countsInRange: countErrors.length === 0,
    invented,
    faces: typeof label.faces === 'number' ? { expected: label.faces, seen: f.faces.length } : null,
    ocrAccuracy,
    ms: f.timingsMs.total,
  };
}

export interface EvalTotals {
  images: number;
  classesExpected: number;
  classesFound: number;
  invented: number;
  countsInRange: number;
  facesRight: number;
  facesLabelled: number;
  ocrImages: number;
  /** Character accuracy over all OCR images (total edits / total characters), 0..1. */
  ocrAccuracy: number | null;
}

export function totalScores(scores: ImageScore[], labels: Record<string, ImageLabel>): EvalTotals {
  const ocr = scores.filter((s) => s.ocrAccuracy !== null);
  // Weighted by text length, so a two-word label does not count as much as a page.
  let chars = 0;
  let right = 0;
  for (const s of ocr) {
    const n = (labels[s.image]?.text ?? []).join(' ').length;
    chars += n;
    right += n * s.ocrAccuracy!;
  }
  return {
    images: scores.length,
    classesExpected: scores.reduce((n, s) => n + s.found.length + s.missed.length, 0),
    classesFound: scores.reduce((n, s) => n + s.found.length, 0),
    invented: scores.reduce((n, s) => n + s.invented.length, 0),
    countsInRange: scores.filter((s) => s.countsInRange).length,
    facesRight: scores.filter((s) => s.faces && s.faces.expected === s.faces.seen).length,
    facesLabelled: scores.filter((s) => s.faces).length,
    ocrImages: ocr.length,
    ocrAccuracy: chars ? right / chars : null,
  };
}

export function markdownTable(scores: ImageScore[], totals: EvalTotals): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const rows = scores.map((s) =>
    [
      s.image,
      s.found.join(', ') || '—',
      s.missed.join(', ') || '—',
      s.countsInRange ? 'yes' : `no: ${s.countErrors.join('; ')}`,
      s.invented.join(', ') || '—',
      s.faces ? `${s.faces.seen}/${s.faces.expected}` : '—',
      s.ocrAccuracy === null ? '—' : pct(s.ocrAccuracy),
      `${s.ms}`,
    ].join(' | '),
  );
  const total = [
    `**${totals.images} images**`,
    `**${totals.classesFound}/${totals.classesExpected}**`,
    `**${totals.classesExpected - totals.classesFound}**`,
    `**${totals.countsInRange}/${totals.images}**`,
    `**${totals.invented}**`,
    totals.facesLabelled ? `**${totals.facesRight}/${totals.facesLabelled}**` : '—',
    totals.ocrAccuracy === null ? '—' : `**${pct(totals.ocrAccuracy)}**`,
    '',
  ].join(' | ');
  return [
    '| image | classes found | missed | counts in range | invented | faces | OCR accuracy | ms |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r} |`),
    `| ${total} |`,
  ].join('\n');
}

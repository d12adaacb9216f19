import type { DetectedObject, ObjectCount } from './findings.ts';

// Turns raw centernet detections into the objects we are willing to name and count.
// Tuned on real photos (/work/shared/testdata plus hand checks), where true objects score
// 0.3–0.7 and false ones mostly below 0.3:
// - a class is named only when one detection reaches PRESENT;
// - once a class is present, weaker detections of it (down to COMPANION) count as further
//   instances if they are not tiny — a herd's half-hidden horse scores low but is real,
//   a tiny weak box is noise;
// - a weak box that encloses a stronger box of the same class is the same object (or a
//   group box around it), not another one;
// - accessories worn by people (tie, handbag, backpack) need a person in the picture;
// - on documents and flat graphics (see text-likeness.ts) the detector, trained on photos,
//   sees kites and clocks in icons, so a class needs PRESENT_ON_GRAPHICS there.

export const PRESENT = 0.3;
export const COMPANION = 0.2;
export const PRESENT_ON_GRAPHICS = 0.5;
/** Weak detections smaller than this share of the image are dropped. */
export const MIN_WEAK_AREA = 0.01;
const WORN = new Set(['tie', 'handbag', 'backpack']);

export function selectObjects(raw: DetectedObject[], options: { graphic?: boolean } = {}): { detections: DetectedObject[]; counts: ObjectCount[] } {
  const sorted = [...raw].sort((a, b) => b.score - a.score);
  const bar = options.graphic ? PRESENT_ON_GRAPHICS : PRESENT;
  const present = new Set(sorted.filter((d) => d.score >= bar).map((d) => d.label));
  const kept: DetectedObject[] = [];
  for (const d of sorted) {
    if (!present.has(d.label)) continue;
    if (d.score < PRESENT && (d.score < COMPANION || area(d.box) < MIN_WEAK_AREA)) continue;
    const stronger = kept.filter((k) => k.label === d.label);
    if (stronger.some((k) => encloses(d.box, k.box) || iou(d.box, k.box) > 0.6)) continue;
    kept.push(d);
  }
  const withPeople = kept.filter((d) => !WORN.has(d.label) || present.has('person'));
  const counts = new Map<string, ObjectCount>();
  for (const d of withPeople) {
    const c = counts.get(d.label) ?? { label: d.label, count: 0, confidence: 0 };
    c.count++;
    c.confidence = Math.max(c.confidence, Math.round(d.score * 100) / 100);
    counts.set(d.label, c);
  }
  return { detections: withPeople, counts: [...counts.values()].sort((a, b) => b.count - a.count || b.confidence - a.confidence) };
}

type Box = [number, number, number, number];

function area(b: Box): number {
  return Math.max(0, b[2]) * Math.max(0, b[3]);
}

function intersection(a: Box, b: Box): number {
  const w = Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]);
  return w > 0 && h > 0 ? w * h : 0;
}

function iou(a: Box, b: Box): number {
  const i = intersection(a, b);
  return i ? i / (area(a) + area(b) - i) : 0;
}

/** `outer` holds (nearly all of) `inner` and is clearly larger. */
function encloses(outer: Box, inner: Box): boolean {
  const innerArea = area(inner);
  return innerArea > 0 && intersection(outer, inner) / innerArea > 0.85 && area(outer) > 1.5 * innerArea;
}

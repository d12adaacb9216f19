import type { ColourFinding } from './findings.ts';

// Dominant colours as everyday names. Each pixel is named by rules on hue, saturation and
// lightness (sturdier than nearest-RGB matching: a dark red stays red, a pale blue stays
// blue), then names are ranked by their share of the image.

export function colourName(r: number, g: number, b: number): string {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const l = (max + min) / 510;
  const chroma = (max - min) / 255;
  const s = chroma === 0 ? 0 : chroma / (1 - Math.abs(2 * l - 1));
  if (l < 0.13 || (l < 0.2 && s < 0.35)) return 'black';
  if (chroma < 0.1 || s < 0.12) return l > 0.85 ? 'white' : l > 0.6 ? 'light grey' : l > 0.3 ? 'grey' : 'dark grey';
  let h: number;
  if (max === r) h = (((g - b) / (max - min)) % 6 + 6) % 6;
  else if (max === g) h = (b - r) / (max - min) + 2;
  else h = (r - g) / (max - min) + 4;
  h *= 60;
  if (l > 0.88) return 'white';
  // Low-saturation warm tones read as beige/brown rather than orange.
  if (h >= 15 && h < 50) {
    if (l < 0.45 && s < 0.9) return 'brown';
    if (s < 0.45 && l >= 0.6) return 'beige';
    if (s < 0.35) return l < 0.5 ? 'brown' : 'beige';
  }
  if (h < 12 || h >= 340) return l > 0.7 ? 'pink' : l < 0.3 && s < 0.5 ? 'brown' : 'red';
  if (h < 45) return 'orange';
  if (h < 67) return l < 0.35 ? 'olive' : 'yellow';
  if (h < 160) return 'green';
  if (h < 190) return 'teal';
  if (h < 250) return l > 0.65 ? 'light blue' : 'blue';
  if (h < 290) return 'purple';
  return 'pink';
}

/** `rgb` is 3 bytes per pixel; returns named colours covering at least `minShare` of the pixels. */
export function dominantColours(rgb: Uint8Array, options: { minShare?: number; max?: number; step?: number } = {}): ColourFinding[] {
  const minShare = options.minShare ?? 0.08;
  const max = options.max ?? 4;
  const step = Math.max(1, options.step ?? 1);
  const tally = new Map<string, { n: number; r: number; g: number; b: number }>();
  let total = 0;
  for (let i = 0; i + 2 < rgb.length; i += 3 * step) {
    const r = rgb[i]!;
    const g = rgb[i + 1]!;
    const b = rgb[i + 2]!;
    const name = colourName(r, g, b);
    const entry = tally.get(name) ?? { n: 0, r: 0, g: 0, b: 0 };
    entry.n++;
    entry.r += r;
    entry.g += g;
    entry.b += b;
    tally.set(name, entry);
    total++;
  }
  if (!total) return [];
  return [...tally.entries()]
    .map(([name, e]) => ({ name, share: e.n / total, hex: toHex(e.r / e.n, e.g / e.n, e.b / e.n) }))
    .filter((c) => c.share >= minShare)
    .sort((a, b) => b.share - a.share)
    .slice(0, max)
    .map((c) => ({ ...c, share: Math.round(c.share * 1000) / 1000 }));
}

function toHex(r: number, g: number, b: number): string {
  return `#${[r, g, b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;
}

/**
 * The main colours of the middle half of a box ([x, y, w, h] as fractions), e.g. "yellow and
 * black". Boxes hold background too, so this describes the area, not the object's own colour.
 */
export function regionColour(rgb: Uint8Array, width: number, height: number, box: [number, number, number, number]): string | null {
  const x0 = Math.floor((box[0] + box[2] * 0.25) * width);
  const y0 = Math.floor((box[1] + box[3] * 0.25) * height);
  const x1 = Math.min(width, Math.ceil((box[0] + box[2] * 0.75) * width));
  const y1 = Math.min(height, Math.ceil((box[1] + box[3] * 0.75) * height));
  if (x1 <= x0 || y1 <= y0) return null;
  const region = new Uint8Array((x1 - x0) * (y1 - y0) * 3);
  let o = 0;
  for (let y = y0; y < y1; y++) {
    const start = (y * width + x0) * 3;
    region.set(rgb.subarray(start, start + (x1 - x0) * 3), o);
    o += (x1 - x0) * 3;
  }
  const names = dominantColours(region, { minShare: 0.25, max: 2 }).map((c) => c.name);
  return names.length ? names.join(' and ') : null;
}

// A cheap test of whether an image probably holds printed text, so tesseract (the slowest
// stage by far) runs only where it can find something. Printed text is high-contrast strokes
// on a flat background: many pixels with almost no local change, and, among the rest, many
// sharp horizontal transitions packed into rows. Photos and paintings are textured instead.

export interface TextLikeness {
  /** Share of pixels whose neighbourhood is flat (|gradient| < 6). */
  flat: number;
  /** Share of pixels on a sharp edge (|gradient| > 60). */
  sharp: number;
  /** Sharp edges among all non-flat pixels: text is mostly sharp, texture mostly soft. */
  crispness: number;
  /** Share of rows that hold several sharp transitions (lines of text). */
  textRows: number;
  likely: boolean;
}

/** `grey` is one byte per pixel, row-major; works on any size (use ~512 px wide). */
export function measureTextLikeness(grey: Uint8Array, width: number, height: number): TextLikeness {
  let flat = 0;
  let sharp = 0;
  let counted = 0;
  let textRows = 0;
  for (let y = 0; y < height - 1; y++) {
    let rowSharp = 0;
    const row = y * width;
    for (let x = 0; x < width - 1; x++) {
      const p = grey[row + x]!;
      const gx = Math.abs(grey[row + x + 1]! - p);
      const gy = Math.abs(grey[row + width + x]! - p);
      const g = gx > gy ? gx : gy;
      counted++;
      if (g < 6) flat++;
      else if (g > 60) {
        sharp++;
        if (gx > 60) rowSharp++;
      }
    }
    // Four or more sharp vertical strokes per 100 px of row: letters, not one object outline.
    if (rowSharp >= Math.max(4, width / 25)) textRows++;
  }
  const flatShare = counted ? flat / counted : 0;
  const sharpShare = counted ? sharp / counted : 0;
  const busy = counted - flat;
  const crispness = busy > 0 ? sharp / busy : 0;
  const textRowShare = height > 1 ? textRows / (height - 1) : 0;
  const likely = flatShare > 0.4 && crispness > 0.2 && textRowShare > 0.03;
  return { flat: flatShare, sharp: sharpShare, crispness, textRows: textRowShare, likely };
}
